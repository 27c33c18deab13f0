import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configHash, CONFIG_HASH } from '../../src/core/rollout.js';
import type { LeaderTuning } from '../../src/kube/leader.js';
import { DEFAULT_TUNING } from '../../src/namespaces/cluster-source.js';
import { CORE_IMAGE, PROCESSOR_IMAGE } from '../fixtures/pods.js';
import { eventually } from '../helpers/eventually.js';
import { startTestInjector, type TestInjector } from '../helpers/injector.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';

const a = (k: string) => `aigw-otel.io/${k}`;
const FAST_LEADER: LeaderTuning = { leaseSeconds: 1, retryMs: 100, renewDeadlineMs: 600, requestTimeoutMs: 500 };
const config = (endpoint: string, extra: Record<string, string> = {}) => ({
  [a('endpoint')]: endpoint,
  [a('auto-rollout')]: 'true',
  ...extra,
});
const template = (image: string, annotations: Record<string, string> = {}) => ({
  metadata: { labels: { app: 'x' }, annotations: { 'prometheus.io/scrape': 'true', ...annotations } },
  spec: { containers: [{ name: 'main', image }] },
});

let api: StandInApiServer;
let replicas: TestInjector[];

/** PATCH requests on workloads, by `plural/name`. */
const patches = () => {
  const counts: Record<string, number> = {};
  for (const r of api.requests.filter((x) => x.method === 'PATCH' && x.path.startsWith('/apis/apps/'))) {
    const [, , , , , , plural, name] = r.path.split('/');
    counts[`${plural}/${name}`] = (counts[`${plural}/${name}`] ?? 0) + 1;
  }
  return counts;
};
const hashOf = (kind: 'Deployment' | 'StatefulSet' | 'DaemonSet', ns: string, name: string) => {
  const spec = api.workload(kind, ns, name)?.spec as {
    template: { metadata: { annotations?: Record<string, string> } };
  };
  return spec.template.metadata.annotations?.[CONFIG_HASH];
};
const leaderGauge = async (r: TestInjector) =>
  /^aigw_otel_injector_leader 1$/m.test((await request(r.adminUrl).get('/metrics')).text);
const quietFor = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  api = await new StandInApiServer().start();
  api.setNamespace('gateways', config('https://collector:4317'));
  api.setNamespace('manual', { [a('endpoint')]: 'https://collector:4317' });
  api.setWorkload('Deployment', 'gateways', 'aigw', template(CORE_IMAGE));
  api.setWorkload('StatefulSet', 'gateways', 'aigw-processors-f5', template(PROCESSOR_IMAGE));
  api.setWorkload('DaemonSet', 'gateways', 'labelled', {
    ...template('registry.example/gw:2'),
    metadata: { labels: { app: 'x', [a('role')]: 'core' } },
  });
  api.setWorkload('Deployment', 'gateways', 'nginx', template('nginx:1.27'));
  api.setWorkload('Deployment', 'manual', 'aigw', template(CORE_IMAGE));
  const start = (hostname: string) =>
    startTestInjector(
      undefined,
      { HOSTNAME: hostname, POD_NAMESPACE: 'aigw-otel-injector', AUTO_ROLLOUT: 'true' },
      {
        kubeConfig: api.kubeConfig(),
        clusterTuning: { ...DEFAULT_TUNING, backoffBaseMs: 20, backoffCapMs: 200 },
        leaderTuning: FAST_LEADER,
      },
    );
  replicas = await Promise.all([start('injector-a'), start('injector-b')]);
  await eventually(async () => (await Promise.all(replicas.map(leaderGauge))).some(Boolean), 5000);
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await api.stop();
});

describe('auto-rollout against the stand-in API server, two injector replicas', () => {
  it('exactly one replica leads', async () => {
    expect((await Promise.all(replicas.map(leaderGauge))).filter(Boolean)).toHaveLength(1);
  });

  it('starting up rolls nothing: workloads never rolled wait for a change', async () => {
    await quietFor(500);
    expect(patches()).toEqual({});
  });

  it('a change of configuration: exactly one patch per AI Gateway workload, from one replica, with Events', async () => {
    const next = config('https://collector-2:4317');
    api.setNamespace('gateways', next);
    const hash = configHash(next);
    await eventually(() => Object.keys(patches()).length === 3, 5000, 'three workloads patched');
    await quietFor(500); // both replicas have seen the change; any second patch would show now
    expect(patches()).toEqual({
      'deployments/aigw': 1,
      'statefulsets/aigw-processors-f5': 1,
      'daemonsets/labelled': 1,
    });
    expect(hashOf('Deployment', 'gateways', 'aigw')).toBe(hash);
    expect(hashOf('StatefulSet', 'gateways', 'aigw-processors-f5')).toBe(hash);
    expect(hashOf('Deployment', 'gateways', 'nginx')).toBeUndefined();
    const template = (api.workload('Deployment', 'gateways', 'aigw')?.spec as { template: unknown }).template;
    expect(template, 'the rest of the template is left as it was').toMatchObject({
      metadata: { labels: { app: 'x' }, annotations: { 'prometheus.io/scrape': 'true' } },
      spec: { containers: [{ name: 'main', image: CORE_IMAGE }] },
    });
    const events = [...api.events.values()].filter((e) => e.reason === 'TelemetryConfigRollout');
    expect(events.map((e) => (e.involvedObject as { name: string }).name).sort()).toEqual([
      'aigw',
      'aigw-processors-f5',
      'labelled',
    ]);
    expect(events.every((e) => e.type === 'Normal')).toBe(true);
    const logs = replicas.map((r) => r.logs());
    expect(logs.filter((l) => l.includes('workload rolled'))).toHaveLength(1);
    const metrics = await Promise.all(replicas.map(async (r) => (await request(r.adminUrl).get('/metrics')).text));
    expect(metrics.join('\n')).toMatch(/aigw_otel_injector_rollouts_total\{kind="Deployment",result="rolled"\} 1/);
  });

  it('no change of configuration: no patch (same values rewritten, other annotations, a bad value)', async () => {
    const before = patches();
    api.setNamespace('gateways', config('https://collector-2:4317', { 'team.example.com/owner': 'platform' }));
    api.setNamespace('gateways', config(' https://collector-2:4317 ', { [a('metric-export-interval')]: 'soon' }));
    await quietFor(700);
    expect(patches()).toEqual(before);
  });

  it('a namespace without auto-rollout is never rolled', async () => {
    api.setNamespace('manual', { [a('endpoint')]: 'https://elsewhere:4317' });
    await quietFor(500);
    expect(patches()['deployments/aigw']).toBe(1);
    expect(hashOf('Deployment', 'manual', 'aigw')).toBeUndefined();
  });

  it('a namespace that appears rolls nothing; a change rolls only workloads whose effective configuration changed', async () => {
    api.setWorkload('Deployment', 'mixed', 'mixed-core', template(CORE_IMAGE));
    api.setWorkload('Deployment', 'mixed', 'mixed-opted-out', template(CORE_IMAGE, { [a('inject')]: 'false' }));
    api.setWorkload('Deployment', 'mixed', 'mixed-own', template(CORE_IMAGE, { [a('endpoint')]: 'https://mine:4317' }));
    api.setNamespace('mixed', config('https://collector:4317')); // ADDED, as GitOps creates it with its workloads
    await quietFor(500);
    expect(Object.keys(patches()).filter((k) => k.includes('mixed'))).toEqual([]);
    api.setNamespace('mixed', config('https://collector-2:4317'));
    await eventually(() => patches()['deployments/mixed-core'] === 1, 5000, 'mixed-core rolled');
    await quietFor(500);
    expect(Object.keys(patches()).filter((k) => k.includes('mixed'))).toEqual(['deployments/mixed-core']);
    expect(hashOf('Deployment', 'mixed', 'mixed-core')).toBe(configHash(config('https://collector-2:4317')));
  });

  it('the next change rolls again, once; after the leader stops, the other replica reconciles and rolls', async () => {
    const third = config('https://collector-3:4317');
    api.setNamespace('gateways', third);
    await eventually(() => patches()['deployments/aigw'] === 2, 5000);
    // A workload left at an old hash (a change missed while no replica led) is caught up by the next leader.
    api.setWorkload('Deployment', 'gateways', 'stale', template(CORE_IMAGE, { [CONFIG_HASH]: 'feedfacefeedface' }));
    const leaderIndex = (await Promise.all(replicas.map(leaderGauge))).indexOf(true);
    const [leader, other] = leaderIndex === 0 ? replicas : [...replicas].reverse();
    await leader?.stop();
    await eventually(async () => other !== undefined && (await leaderGauge(other)), 5000, 'the other replica leads');
    await eventually(() => hashOf('Deployment', 'gateways', 'stale') === configHash(third), 5000);
    expect(patches()['deployments/aigw'], 'workloads at the current hash are left alone').toBe(2);
    const last = config('https://collector-4:4317');
    api.setNamespace('gateways', last);
    await eventually(() => patches()['deployments/aigw'] === 3, 5000);
    await quietFor(300);
    expect(patches()).toEqual({
      'deployments/aigw': 3,
      'statefulsets/aigw-processors-f5': 3,
      'daemonsets/labelled': 3,
      'deployments/stale': 2,
      'deployments/mixed-core': 1,
    });
    expect(hashOf('DaemonSet', 'gateways', 'labelled')).toBe(configHash(last));
  });
});
