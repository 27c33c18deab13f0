/**
 * Telemetry arrives: the webhook's patch, applied strictly to the example pods, materialised by the kubelet
 * stand-ins, read by a real OpenTelemetry SDK that exports over gRPC and TLS to the collector stand-in. Each test
 * runs the SDK with exactly the environment the kubelet would give the container, and looks at what arrived.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src/core/pod.js';
import { corePod, processorPod, review } from '../fixtures/pods.js';
import { CollectorStandIn, type Export } from '../helpers/collector-stand-in.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { applyStrict, decodePatch } from '../helpers/pod-checks.js';
import { clientCert, place, runContainer, serverPki, type Pki } from '../helpers/telemetry-run.js';

// The SDK exports metrics every second here; 3.5 s gives three periodic exports and the one at shutdown.
const HOLD_MS = 3500;
// A run that must export nothing: long enough for a first attempt (and its refusal) to be made.
const SHORT_HOLD_MS = 1500;

let collector: CollectorStandIn;
let webhook: TestInjector;
let server: Pki & { dir: string };
let otherCa: Pki;
let client: { cert: string; key: string };
const roots: Record<string, string> = {};

/** The namespaces: each a configuration a platform team could write, mount paths under a scratch directory. */
function namespaces(port: number) {
  const root = (ns: string) => (roots[ns] = mkdtempSync(join(tmpdir(), `aigw-e2e-${ns}-`)));
  const full = (ns: string, extra: Record<string, string> = {}) => {
    const dir = root(ns);
    return {
      'aigw-otel.io/endpoint': `https://localhost:${port}`,
      'aigw-otel.io/ca-configmap': 'collector-ca',
      'aigw-otel.io/ca-mount-path': `${dir}/etc/collector`,
      'aigw-otel.io/client-cert-secret': 'collector-client',
      'aigw-otel.io/client-cert-mount-path': `${dir}/etc/collector-client`,
      'aigw-otel.io/headers-secret': 'collector-auth',
      'aigw-otel.io/resource-attributes': 'team=platform,site=eu%20west',
      'aigw-otel.io/metric-export-interval': '1s',
      'aigw-otel.io/traces-sampler': 'always_on',
      'aigw-otel.io/export-timeout': '10s',
      'aigw-otel.io/compression': 'gzip',
      ...extra,
    };
  };
  const withoutClientCert = full('e2e-no-client-cert');
  delete (withoutClientCert as Record<string, string>)['aigw-otel.io/client-cert-secret'];
  return {
    'e2e-full': full('e2e-full'),
    'e2e-wrong-ca': full('e2e-wrong-ca', { 'aigw-otel.io/ca-configmap': 'other-ca' }),
    'e2e-no-client-cert': withoutClientCert,
    'e2e-plain': {},
  };
}

beforeAll(async () => {
  server = serverPki();
  otherCa = serverPki('unrelated');
  client = clientCert(server.dir, 'aigw-client');
  collector = await new CollectorStandIn().start({ cert: server.cert, key: server.key, clientCa: server.ca });
  webhook = await startTestInjector(namespacesYaml(namespaces(collector.port)));
});
afterAll(async () => {
  await webhook.stop();
  await collector.stop();
});

/** Admits the pod in the namespace through the webhook over HTTPS, runs the container, returns what arrived. */
async function admitAndRun(
  namespace: string,
  pod: Pod,
  container: string,
  role: 'core' | 'processor',
  holdMs = HOLD_MS,
) {
  const res = await webhook.post(review(pod, { namespace })).expect(200);
  const patched = applyStrict(pod, decodePatch(res.body.response.patch));
  const placed = place(patched, namespace, {
    configMaps: { 'collector-ca': { 'ca.crt': server.ca }, 'other-ca': { 'ca.crt': otherCa.ca } },
    secrets: {
      'collector-client': { 'tls.crt': client.cert, 'tls.key': client.key },
      'collector-auth': { headers: 'x-api-key=s3cr3t-from-the-secret' },
    },
  });
  const before = collector.exports.length;
  const run = await runContainer(patched, container, placed, {
    root: roots[namespace] ?? '/nonexistent',
    role,
    holdMs,
  });
  expect(run.code, run.stderr).toBe(0);
  const arrived = collector.exports.slice(before);
  const fromPod = (e: Export) => e.resources.some((r) => r['k8s.pod.uid'] === placed.uid);
  return { placed, run, arrived, mine: arrived.filter(fromPod) };
}

describe('telemetry arrives at the collector through a real OpenTelemetry SDK', () => {
  it('core: spans and metrics over TLS with the injected CA, mTLS, the Secret header and the pod identity', async () => {
    const { placed, mine, run } = await admitAndRun('e2e-full', corePod(), 'aigw', 'core');
    const spans = mine.filter((e) => e.signal === 'traces');
    const metrics = mine.filter((e) => e.signal === 'metrics');
    expect(
      spans.flatMap((e) => e.names),
      run.stderr,
    ).toContain('core-request');
    expect(run.env.OTEL_EXPORTER_OTLP_TIMEOUT, 'milliseconds, as Go reads it').toBe('10000');
    // metric-export-interval 1s: several periodic exports within 3.5 s (the SDK's default would be one a minute)
    expect(metrics.length).toBeGreaterThanOrEqual(3);
    expect(metrics.flatMap((e) => e.names)).toContain('core_requests');
    for (const e of mine) {
      expect(e.clientSubject, 'mTLS with the injected client certificate').toBe('aigw-client');
      expect(e.headers['x-api-key'], 'the header from the Secret').toBe('s3cr3t-from-the-secret');
    }
    expect(spans[0]?.resources[0]).toMatchObject({
      'k8s.namespace.name': 'e2e-full',
      'k8s.pod.name': placed.name,
      'k8s.pod.uid': placed.uid,
      'k8s.node.name': 'node-a',
      'k8s.container.name': 'aigw',
      'k8s.deployment.name': 'aigw',
      team: 'platform',
      site: 'eu west',
    });
  }, 30_000);

  it('processor: its spans arrive, and it sends no metrics (none of the metrics settings reach it)', async () => {
    const { placed, mine, run } = await admitAndRun('e2e-full', processorPod(), 'processor', 'processor');
    expect(mine.filter((e) => e.signal === 'traces').flatMap((e) => e.names)).toContain('processor-request');
    expect(mine.filter((e) => e.signal === 'metrics')).toEqual([]);
    expect(run.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT).toBeUndefined();
    // Seconds, as the processors' Python SDK reads it: read as milliseconds, 10 would time every export out.
    expect(run.env.OTEL_EXPORTER_OTLP_TIMEOUT).toBe('10');
    expect(mine[0]?.resources[0]).toMatchObject({
      'k8s.pod.name': placed.name,
      'k8s.container.name': 'processor',
      'k8s.deployment.name': 'aigw-processors-f5',
    });
  }, 30_000);

  it('a pod that says traces-sampler: always_off sends no spans, and still its metrics', async () => {
    const pod = corePod({ annotations: { 'aigw-otel.io/traces-sampler': 'always_off' } });
    const { mine } = await admitAndRun('e2e-full', pod, 'aigw', 'core');
    expect(mine.filter((e) => e.signal === 'traces')).toEqual([]);
    expect(mine.filter((e) => e.signal === 'metrics').length).toBeGreaterThanOrEqual(1);
  }, 30_000);
});

describe('counter-tests: the chain can fail, and these show it would', () => {
  it('the unpatched pod (a namespace without annotations) exports nothing to the collector', async () => {
    const { arrived, run } = await admitAndRun('e2e-plain', corePod(), 'aigw', 'core', SHORT_HOLD_MS);
    expect(run.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBeUndefined();
    expect(arrived).toEqual([]);
  }, 30_000);

  it('a CA that did not sign the collector certificate makes the SDK refuse the connection', async () => {
    const { arrived, run } = await admitAndRun('e2e-wrong-ca', corePod(), 'aigw', 'core', SHORT_HOLD_MS);
    expect(run.env.OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE).toMatch(/\/etc\/collector\/ca\.crt$/);
    expect(arrived).toEqual([]);
  }, 30_000);

  it('without a client certificate, a collector that requires one refuses', async () => {
    const { arrived, run } = await admitAndRun('e2e-no-client-cert', corePod(), 'aigw', 'core', SHORT_HOLD_MS);
    expect(run.env.OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE).toBeUndefined();
    expect(arrived).toEqual([]);
  }, 30_000);
});
