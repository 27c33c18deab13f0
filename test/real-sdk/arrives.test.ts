/**
 * The SDKs that run in AI Gateway (the Go core's otlptracegrpc/otlpmetricgrpc, the processors' Python
 * opentelemetry-sdk 1.33) export to a real OpenTelemetry Collector over TLS with the injected CA, from pods the
 * webhook admitted and the kubelet emulation materialised. Every assertion is on what the Collector received.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corePod, processorPod } from '../fixtures/pods.js';
import { startCollector, type RealCollector, type Received } from '../helpers/collector.js';
import { eventually } from '../helpers/eventually.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { admitAndRun, killRunning, tlsAnnotations, type Sdk } from '../helpers/sdk-run.js';
import { serverPki, type Pki } from '../helpers/telemetry-run.js';
import { ARRIVAL_MS, DEADLINE_MS, SETTLE_MS, TEST_MS } from './timing.js';

// Long enough for the core's periodic reader (interval 1 s here) to have exported once before shutdown.
const HOLD_MS = 1500;

const root = mkdtempSync(join(tmpdir(), 'aigw-real-arrives-'));
const namespaces = {
  'real-tls': {},
  'real-gzip': { 'aigw-otel.io/compression': 'gzip' },
  'real-sampler-off': { 'aigw-otel.io/traces-sampler': 'always_off' },
  // The client-certificate Secret is referenced optional: missing, the volume is empty and the files absent.
  'real-client-cert-missing': { 'aigw-otel.io/client-cert-secret': 'no-such-secret' },
  'real-sampler-ratio-1': { 'aigw-otel.io/traces-sampler': 'traceidratio', 'aigw-otel.io/traces-sampler-arg': '1' },
};
type Namespace = keyof typeof namespaces;

describe.skipIf(!haveRealParts('otelcol', 'goCore', 'python'))('real SDKs to a real Collector over TLS', () => {
  let pki: Pki;
  let collector: RealCollector;
  let webhook: TestInjector;

  beforeAll(async () => {
    pki = serverPki();
    collector = await startCollector({ cert: pki.cert, key: pki.key });
    const endpoint = `https://localhost:${collector.grpcPort}`;
    const annotations = Object.fromEntries(
      Object.entries(namespaces).map(([ns, extra]) => [
        ns,
        tlsAnnotations(join(root, ns), endpoint, { 'aigw-otel.io/metric-export-interval': '1s', ...extra }),
      ]),
    );
    webhook = await startTestInjector(namespacesYaml(annotations));
  }, 60_000);
  afterAll(async () => {
    killRunning();
    await webhook?.stop();
    await collector?.stop();
  });

  async function runIn(sdk: Sdk, namespace: Namespace) {
    const pod = sdk === 'go-core' ? corePod() : processorPod();
    const objects = { configMaps: { 'collector-ca': { 'ca.crt': pki.ca } }, secrets: {} };
    const { placed, run } = await admitAndRun(
      webhook,
      { sdk, pod, namespace, root: join(root, namespace), objects },
      { holdMs: HOLD_MS, deadlineMs: DEADLINE_MS },
    );
    expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
    const mine = () => collector.received().filter((r) => r.resources.some((a) => a['k8s.pod.uid'] === placed.uid));
    return { placed, run, mine };
  }
  const names = (rs: Received[], signal: Received['signal']) =>
    rs.filter((r) => r.signal === signal).flatMap((r) => r.names);

  const SPAN = { 'go-core': 'core-request', 'python-processor': 'processor-request' } as const;
  const IDENTITY = {
    'go-core': { container: 'aigw', workload: 'aigw' },
    'python-processor': { container: 'processor', workload: 'aigw-processors-f5' },
  } as const;

  it.each([
    { name: 'core over TLS with the collector CA', sdk: 'go-core', namespace: 'real-tls', spans: true },
    { name: 'processor over TLS with the collector CA', sdk: 'python-processor', namespace: 'real-tls', spans: true },
    { name: 'core, compression gzip', sdk: 'go-core', namespace: 'real-gzip', spans: true },
    { name: 'processor, compression gzip', sdk: 'python-processor', namespace: 'real-gzip', spans: true },
    {
      name: 'core, client-cert Secret missing: connects without one',
      sdk: 'go-core',
      namespace: 'real-client-cert-missing',
      spans: true,
    },
    {
      name: 'processor, client-cert Secret missing: connects without one',
      sdk: 'python-processor',
      namespace: 'real-client-cert-missing',
      spans: true,
    },
    { name: 'core, sampler always_off: no span', sdk: 'go-core', namespace: 'real-sampler-off', spans: false },
    {
      name: 'processor, sampler always_off: no span',
      sdk: 'python-processor',
      namespace: 'real-sampler-off',
      spans: false,
    },
    { name: 'core, sampler traceidratio 1: its span', sdk: 'go-core', namespace: 'real-sampler-ratio-1', spans: true },
    {
      name: 'processor, sampler traceidratio 1: its span',
      sdk: 'python-processor',
      namespace: 'real-sampler-ratio-1',
      spans: true,
    },
  ] as const)(
    '$name',
    async ({ sdk, namespace, spans }) => {
      const { placed, mine, run } = await runIn(sdk, namespace);
      const log = `${run.stdout}${run.stderr}`;
      // The core always exports its counter (and so shows it reached the Collector); processors export no metrics.
      const metrics = sdk === 'go-core';
      const complete = () =>
        names(mine(), 'traces').length > 0 === spans && names(mine(), 'metrics').includes('core_requests') === metrics;
      if (spans || metrics) await eventually(complete, ARRIVAL_MS, `not what was expected:\n${log}`);
      else await new Promise((r) => setTimeout(r, SETTLE_MS));
      expect(names(mine(), 'traces'), log).toEqual(spans ? [SPAN[sdk]] : []);
      expect(names(mine(), 'metrics').length > 0, 'metrics').toBe(metrics);
      for (const received of mine()) {
        expect(received.resources[0]).toMatchObject({
          'k8s.namespace.name': namespace,
          'k8s.pod.name': placed.name,
          'k8s.pod.uid': placed.uid,
          'k8s.node.name': placed.nodeName,
          'k8s.container.name': IDENTITY[sdk].container,
          'k8s.deployment.name': IDENTITY[sdk].workload,
        });
      }
    },
    TEST_MS,
  );
});
