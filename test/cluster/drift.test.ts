/**
 * Pods that missed their configuration, against the stand-in API server: found by the leader, reported (gauge,
 * Event on the workload, log line), and healed by a rollout where the namespace has auto-rollout on.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../src/core/inject.js';
import type { LeaderTuning } from '../../src/kube/leader.js';
import { DEFAULT_TUNING } from '../../src/namespaces/cluster-source.js';
import { corePod, CORE_IMAGE } from '../fixtures/pods.js';
import { eventually } from '../helpers/eventually.js';
import { startTestInjector, type TestInjector } from '../helpers/injector.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';

const a = (k: string) => `aigw-otel.io/${k}`;
const FAST_LEADER: LeaderTuning = { leaseSeconds: 1, retryMs: 100, renewDeadlineMs: 600, requestTimeoutMs: 500 };
const configured = { [a('endpoint')]: 'https://collector:4317' };
const template = { metadata: { labels: { app: 'aigw' } }, spec: { containers: [{ name: 'aigw', image: CORE_IMAGE }] } };

let api: StandInApiServer;
let injector: TestInjector;

beforeAll(async () => {
  api = await new StandInApiServer().start();
  // Created "while the injector was down": stored as they were sent, without the webhook's patch.
  api.setNamespace('heals', { ...configured, [a('auto-rollout')]: 'true' });
  api.setPod('heals', { ...corePod(), metadata: { ...corePod().metadata, name: 'aigw-6d4b9c7f8d-down1' } });
  api.setWorkload('Deployment', 'heals', 'aigw', template);
  api.setNamespace('reports', configured);
  api.setPod('reports', { ...corePod(), metadata: { ...corePod().metadata, name: 'aigw-6d4b9c7f8d-down2' } });
  api.setWorkload('Deployment', 'reports', 'aigw', template);
  // Everything configured: the pod is what the webhook made of it.
  api.setNamespace('fine', configured);
  const made = decide(configured, corePod(), { caStatus: 'unchecked', namespace: 'fine' });
  if (!made.inject) throw new Error('fixture not injected');
  api.setPod('fine', { ...made.pod, metadata: { ...made.pod.metadata, name: 'aigw-6d4b9c7f8d-fine1' } });
  api.setWorkload('Deployment', 'fine', 'aigw', template);
  injector = await startTestInjector(
    undefined,
    { HOSTNAME: 'injector-a', POD_NAMESPACE: 'aigw-otel-injector', AUTO_ROLLOUT: 'true' },
    {
      kubeConfig: api.kubeConfig(),
      clusterTuning: { ...DEFAULT_TUNING, backoffBaseMs: 20, backoffCapMs: 200 },
      leaderTuning: FAST_LEADER,
      driftTuning: { periodMs: 300, healPacingMs: 50, requestTimeoutMs: 1000 },
    },
  );
});
afterAll(async () => {
  await injector.stop();
  await api.stop();
});

const events = () => [...api.events.values()].filter((e) => e.reason === 'TelemetryConfigMissing');
const metric = async (namespace: string, state: string) => {
  const text = (await request(injector.adminUrl).get('/metrics')).text;
  const line = new RegExp(
    `^aigw_otel_injector_pods_unconfigured\\{namespace="${namespace}",state="${state}"\\} (\\d+)$`,
    'm',
  );
  return Number(line.exec(text)?.[1] ?? NaN);
};
const templateAnnotations = (ns: string) =>
  (api.workload('Deployment', ns, 'aigw')?.spec as { template: { metadata: { annotations?: Record<string, string> } } })
    .template.metadata.annotations ?? {};

describe('pods that missed their configuration', () => {
  it('are reported: a gauge by namespace, one Event on the owning Deployment, a log line', async () => {
    await eventually(() => events().length === 2, 5000, 'two Events');
    const targets = events().map((e) => {
      const o = e.involvedObject as { namespace: string; kind: string; name: string };
      return `${o.namespace}/${o.kind}/${o.name}`;
    });
    expect(targets.sort()).toEqual(['heals/Deployment/aigw', 'reports/Deployment/aigw']);
    expect(await metric('reports', 'missing')).toBe(1);
    expect(injector.logs()).toMatch(/"namespace":"reports".*drift: pods without their telemetry configuration/);
  });

  it('are healed where auto-rollout is on: the Deployment rolls once, paced; elsewhere nothing is patched', async () => {
    await eventually(() => templateAnnotations('heals')[a('healed')] !== undefined, 5000, 'healed');
    expect(templateAnnotations('heals')[a('healed')]).toMatch(/^[0-9a-f]{16}$/);
    expect(templateAnnotations('reports')[a('healed')]).toBeUndefined();
    await new Promise((r) => setTimeout(r, 700)); // two more periods: still missing (the stand-in runs no rollout)
    const patchesOfHeals = api.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/namespaces/heals/'));
    expect(patchesOfHeals, 'once per configuration').toHaveLength(1);
    expect(events(), 'the Event is not repeated as a new one each period').toHaveLength(2);
  });

  it('a namespace where every pod is configured reports nothing', async () => {
    expect(await metric('fine', 'missing')).toBe(0);
    expect(await metric('fine', 'stale')).toBe(0);
    expect(events().some((e) => (e.involvedObject as { namespace: string }).namespace === 'fine')).toBe(false);
  });

  it('a pod of the namespace that goes stale after a change is reported as stale', async () => {
    api.setNamespace('fine', { [a('endpoint')]: 'https://collector-2:4317' });
    await eventually(async () => (await metric('fine', 'stale')) === 1, 5000, 'stale counted');
  });
});
