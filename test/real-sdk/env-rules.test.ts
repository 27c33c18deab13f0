/**
 * What the README promises about the protocol and about values a pod already sets, shown by where the real SDKs'
 * telemetry arrives:
 * - `protocol: http/protobuf`: a processor exports to the Collector's OTLP/HTTP receiver (which accepts traces
 *   only at /v1/traces); the core gets no endpoint and no protocol and keeps exporting over gRPC to its own (Helm)
 *   endpoint.
 * - an endpoint the pod sets to "" is unset to the SDK and filled in place; one it sets to a value is kept (the
 *   SDK exports there), unless `override: "true"`.
 * Two Collectors: the namespace's ("ours") and the one a pod's Helm values point at ("theirs").
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src/core/pod.js';
import { CORE_IMAGE, PROCESSOR_IMAGE, container, pod } from '../fixtures/pods.js';
import { startCollector, type RealCollector } from '../helpers/collector.js';
import { eventually } from '../helpers/eventually.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { admitAndRun, killRunning, tlsAnnotations, type Sdk } from '../helpers/sdk-run.js';
import { serverPki, type Pki } from '../helpers/telemetry-run.js';
import { ARRIVAL_MS, DEADLINE_MS, SETTLE_MS, TEST_MS } from './timing.js';

// Long enough for one export attempt of each signal before the program flushes and exits.
const HOLD_MS = 1000;

const root = mkdtempSync(join(tmpdir(), 'aigw-real-env-rules-'));
const SPAN: Record<Sdk, string> = { 'go-core': 'core-request', 'python-processor': 'processor-request' };

type Where = 'ours' | 'theirs';
interface Case {
  readonly name: string;
  readonly sdk: Sdk;
  readonly namespace: 'real-http' | 'real-grpc' | 'real-grpc-override';
  /** The pod's own endpoint value (its Helm values), or "" for an entry with an empty value; absent: none. */
  readonly podEndpoint?: Where | '';
  readonly arrivesAt: Where;
}

const cases: Case[] = [
  {
    name: 'http/protobuf: the processor arrives at the OTLP/HTTP receiver',
    sdk: 'python-processor',
    namespace: 'real-http',
    arrivesAt: 'ours',
  },
  {
    name: 'http/protobuf: the core keeps gRPC to its own (Helm) endpoint',
    sdk: 'go-core',
    namespace: 'real-http',
    podEndpoint: 'theirs',
    arrivesAt: 'theirs',
  },
  {
    name: 'an empty endpoint is filled: the core',
    sdk: 'go-core',
    namespace: 'real-grpc',
    podEndpoint: '',
    arrivesAt: 'ours',
  },
  {
    name: 'an empty endpoint is filled: the processor',
    sdk: 'python-processor',
    namespace: 'real-grpc',
    podEndpoint: '',
    arrivesAt: 'ours',
  },
  {
    name: "the pod's endpoint is kept: the core",
    sdk: 'go-core',
    namespace: 'real-grpc',
    podEndpoint: 'theirs',
    arrivesAt: 'theirs',
  },
  {
    name: "the pod's endpoint is kept: the processor",
    sdk: 'python-processor',
    namespace: 'real-grpc',
    podEndpoint: 'theirs',
    arrivesAt: 'theirs',
  },
  {
    name: "override: the pod's endpoint is replaced: the core",
    sdk: 'go-core',
    namespace: 'real-grpc-override',
    podEndpoint: 'theirs',
    arrivesAt: 'ours',
  },
  {
    name: "override: the pod's endpoint is replaced: the processor",
    sdk: 'python-processor',
    namespace: 'real-grpc-override',
    podEndpoint: 'theirs',
    arrivesAt: 'ours',
  },
];

describe.skipIf(!haveRealParts('otelcol', 'goCore', 'python'))(
  'protocol and pod-set values, as the SDKs act on them',
  () => {
    let pki: Pki;
    const collectors = {} as Record<Where, RealCollector>;
    let webhook: TestInjector;

    beforeAll(async () => {
      pki = serverPki();
      collectors.ours = await startCollector({ cert: pki.cert, key: pki.key });
      collectors.theirs = await startCollector({ cert: pki.cert, key: pki.key });
      const grpc = `https://localhost:${collectors.ours.grpcPort}`;
      webhook = await startTestInjector(
        namespacesYaml({
          'real-http': tlsAnnotations(join(root, 'real-http'), `https://localhost:${collectors.ours.httpPort}`, {
            'aigw-otel.io/protocol': 'http/protobuf',
            'aigw-otel.io/metric-export-interval': '1s',
          }),
          'real-grpc': tlsAnnotations(join(root, 'real-grpc'), grpc),
          'real-grpc-override': tlsAnnotations(join(root, 'real-grpc-override'), grpc, {
            'aigw-otel.io/override': 'true',
          }),
        }),
      );
    }, 60_000);
    afterAll(async () => {
      killRunning();
      await webhook?.stop();
      await collectors.ours?.stop();
      await collectors.theirs?.stop();
    });

    /** The example pod of the role, with the endpoint env its Helm values would render (or an empty one). */
    function podFor(sdk: Sdk, podEndpoint: Case['podEndpoint']): Pod {
      const value =
        podEndpoint === undefined || podEndpoint === ''
          ? podEndpoint
          : `https://localhost:${collectors[podEndpoint].grpcPort}`;
      const names = sdk === 'go-core' ? ['TRACES', 'METRICS'] : ['TRACES'];
      const env =
        value === undefined ? undefined : names.map((s) => ({ name: `OTEL_EXPORTER_OTLP_${s}_ENDPOINT`, value }));
      return sdk === 'go-core'
        ? pod({ containers: [container({ name: 'aigw', image: CORE_IMAGE, env })] })
        : pod({
            app: 'aigw-processors-f5',
            containers: [container({ name: 'processor', image: PROCESSOR_IMAGE, env })],
          });
    }

    it.each(cases)(
      '$name',
      async ({ sdk, namespace, podEndpoint, arrivesAt }) => {
        const objects = { configMaps: { 'collector-ca': { 'ca.crt': pki.ca } }, secrets: {} };
        const { placed, run } = await admitAndRun(
          webhook,
          { sdk, pod: podFor(sdk, podEndpoint), namespace, root: join(root, namespace), objects },
          { holdMs: HOLD_MS, deadlineMs: DEADLINE_MS },
        );
        expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
        const spansAt = (where: Where) =>
          collectors[where]
            .received()
            .filter((r) => r.resources[0]?.['k8s.pod.uid'] === placed.uid)
            .flatMap((r) => (r.signal === 'traces' ? r.names : []));
        await eventually(() => spansAt(arrivesAt).length > 0, ARRIVAL_MS, `no span:\n${run.stdout}${run.stderr}`);
        expect(spansAt(arrivesAt)).toEqual([SPAN[sdk]]);
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        expect(spansAt(arrivesAt === 'ours' ? 'theirs' : 'ours')).toEqual([]);
      },
      TEST_MS,
    );
  },
);
