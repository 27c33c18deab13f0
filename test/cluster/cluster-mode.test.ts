import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TUNING } from '../../src/namespaces/cluster-source.js';
import { corePod, review } from '../fixtures/pods.js';
import { eventually } from '../helpers/eventually.js';
import { startTestInjector, type TestInjector } from '../helpers/injector.js';
import { applyStrict, decodePatch, otelEnv } from '../helpers/pod-checks.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';

const ENDPOINT = 'https://collector:4317';
// timeoutSeconds of the webhooks (manifests/base): an answer later than this is no answer to the API server.
const REVIEW_TIMEOUT_MS = 5000;
// A ConfigMap GET answered this late is past the pre-flight's 1 s budget by the whole of a loaded machine's slack.
const SLOW_ANSWER_MS = 5000;
const ns = (caConfigMap: string, caKey = 'ca.crt') => ({
  'aigw-otel.io/endpoint': ENDPOINT,
  'aigw-otel.io/ca-configmap': caConfigMap,
  'aigw-otel.io/ca-key': caKey,
});

let api: StandInApiServer;
let server: TestInjector;
beforeAll(async () => {
  api = await new StandInApiServer().start();
  api.setNamespace('ca-present', ns('collector-ca'));
  api.setConfigMap('ca-present', 'collector-ca', { 'ca.crt': '-----BEGIN CERTIFICATE-----' });
  api.setNamespace('ca-missing', ns('collector-ca'));
  api.setNamespace('ca-wrong-key', ns('collector-ca', 'root.pem'));
  api.setConfigMap('ca-wrong-key', 'collector-ca', { 'ca.crt': 'x' });
  api.setNamespace('ca-lookup-fails', ns('collector-ca'));
  api.setNamespace('events', ns('collector-ca'));
  api.setNamespace('plain');
  api.setNamespace('wants-rollout', { 'aigw-otel.io/endpoint': ENDPOINT, 'aigw-otel.io/auto-rollout': 'true' });
  api.delays.list = 300;
  server = await startTestInjector(
    undefined,
    {},
    {
      kubeConfig: api.kubeConfig(),
      clusterTuning: { ...DEFAULT_TUNING, backoffBaseMs: 20, backoffCapMs: 200 },
    },
  );
});
afterAll(async () => {
  await server.stop();
  await api.stop();
});

async function admit(namespace: string, overrides: Record<string, unknown> = {}) {
  const input = corePod();
  const res = await server.post(review(input, { namespace, ...overrides })).expect(200);
  const pod = applyStrict(input, decodePatch(res.body.response.patch));
  return {
    pod,
    otel: otelEnv(pod, 'aigw'),
    warnings: (res.body.response.warnings ?? []) as string[],
    response: res.body.response,
  };
}

describe('cluster mode over HTTPS, against the stand-in API server', () => {
  it('auto-rollout asked for by a namespace, not enabled in this install: a log line and one Event, no rollout', async () => {
    await eventually(() => [...api.events.values()].some((e) => e.reason === 'AutoRolloutNotEnabled'), 5000);
    const events = [...api.events.values()].filter((e) => e.reason === 'AutoRolloutNotEnabled');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Namespace', name: 'wants-rollout' },
      message: expect.stringContaining('manifests/components/auto-rollout') as unknown,
    });
    expect(server.logs()).toMatch(/"namespace":"wants-rollout".*auto-rollout asked for but not enabled/);
    expect(api.requests.some((r) => r.path.startsWith('/apis/'))).toBe(false);
  });

  it('becomes ready once the first (slow) list has arrived; healthz is 200 throughout', async () => {
    await request(server.adminUrl).get('/healthz').expect(200);
    await eventually(async () => (await request(server.adminUrl).get('/readyz')).status === 200, 5000);
    const text = (await request(server.adminUrl).get('/metrics')).text;
    expect(text).toMatch(/^aigw_otel_injector_namespaces_synced 1$/m);
    const last = Number(/^aigw_otel_injector_namespace_watch_last_event_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
    expect(Date.now() / 1000 - last, 'the list just arrived').toBeLessThan(60);
  });

  it.each([
    ['present', 'ca-present', true, []],
    [
      'missing ConfigMap',
      'ca-missing',
      false,
      [/ca-configmap: CA skipped: ConfigMap collector-ca not found in the namespace/],
    ],
    ['missing key', 'ca-wrong-key', false, [/CA skipped: ConfigMap collector-ca has no key root.pem/]],
  ])('CA pre-flight, %s', async (_name, namespace, mounted, warnings) => {
    const { pod, otel, warnings: got } = await admit(namespace);
    expect(otel.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, 'the rest is injected either way').toBe(ENDPOINT);
    expect(pod.spec.volumes?.some((v) => v.name === 'collector-ca-volume')).toBe(mounted);
    expect('OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE' in otel).toBe(mounted);
    expect(got).toHaveLength(warnings.length);
    warnings.forEach((w, i) => expect(got[i]).toMatch(w));
  });

  it.each([
    ['fails', () => api.failing.add('get-configmap')],
    ['is slower than 1 s', () => (api.delays['get-configmap'] = SLOW_ANSWER_MS)],
  ])('CA pre-flight that %s injects as configured (fail open)', async (_name, breakIt) => {
    breakIt();
    const started = Date.now();
    const { pod, otel } = await admit('ca-lookup-fails');
    // Timed from before the review was sent: had the webhook waited for the slow answer, this could not read less.
    expect(Date.now() - started).toBeLessThan(SLOW_ANSWER_MS);
    expect(pod.spec.volumes?.some((v) => v.name === 'collector-ca-volume')).toBe(true);
    expect(otel.OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE).toBe('/etc/collector/ca.crt');
    api.failing.delete('get-configmap');
    delete api.delays['get-configmap'];
  });

  it("records a 50-replica rollout's warning as one Event on the owner, with a count of 50", async () => {
    await Promise.all(Array.from({ length: 50 }, () => admit('events')));
    await admit('events', { dryRun: true });
    await eventually(() => [...api.events.values()].some((e) => e.count === 50), 6000, 'no event with count 50');
    const events = [...api.events.entries()].filter(([k]) => k.startsWith('events/'));
    expect(events).toHaveLength(1);
    const [, event] = events[0] ?? [];
    expect(event).toMatchObject({
      type: 'Warning',
      reason: 'CollectorCAMissing',
      count: 50,
      involvedObject: { kind: 'ReplicaSet', name: 'aigw-6d4b9c7f8d', namespace: 'events' },
    });
    expect(String(event?.message)).toMatch(/CA skipped: ConfigMap collector-ca not found/);
  });

  it("records a bare pod's warning on its namespace", async () => {
    api.setNamespace('bare', { 'aigw-otel.io/metric-export-interval': 'soon', 'aigw-otel.io/endpoint': ENDPOINT });
    const input = corePod();
    delete input.metadata?.ownerReferences;
    await server.post(review(input, { namespace: 'bare' })).expect(200);
    await eventually(() => api.events.size > 0 && [...api.events.keys()].some((k) => k.startsWith('bare/')), 6000);
    const event = [...api.events.entries()].find(([k]) => k.startsWith('bare/'))?.[1];
    expect(event).toMatchObject({
      reason: 'InvalidTelemetryAnnotation',
      involvedObject: { kind: 'Namespace', name: 'bare' },
    });
  });

  it('keeps answering from its cache while the API server is away', async () => {
    await admit('ca-present'); // warm the CA cache
    await api.goAway();
    const { otel } = await admit('ca-present');
    expect(otel.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe(ENDPOINT);
    const started = Date.now();
    const unknown = await admit('never-seen');
    expect(unknown.response.patch).toBeUndefined();
    // Not held until the API server is back: answered within the time the API server gives a review.
    expect(Date.now() - started).toBeLessThan(REVIEW_TIMEOUT_MS);
    await request(server.adminUrl).get('/healthz').expect(200);
    await api.comeBack();
  });
});
