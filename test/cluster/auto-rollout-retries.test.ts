import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configHash, CONFIG_HASH } from '../../src/core/rollout.js';
import { kubeApi } from '../../src/kube/api.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { AutoRollout } from '../../src/rollout/auto-rollout.js';
import { CORE_IMAGE } from '../fixtures/pods.js';
import { eventually } from '../helpers/eventually.js';
import { memoryLogger } from '../helpers/silent.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';

const before = { 'aigw-otel.io/endpoint': 'https://a:4317', 'aigw-otel.io/auto-rollout': 'true' };
const after = { ...before, 'aigw-otel.io/endpoint': 'https://b:4317' };
const TUNING = { requestTimeoutMs: 500, attempts: 3, backoffBaseMs: 20, backoffCapMs: 50 };

let api: StandInApiServer;
beforeEach(async () => {
  api = await new StandInApiServer().start();
  api.setWorkload('Deployment', 'gw', 'aigw', {
    metadata: { labels: { app: 'aigw' } },
    spec: { containers: [{ name: 'aigw', image: CORE_IMAGE }] },
  });
});
afterEach(() => api.stop());

function rollout(leader = true, tuning = TUNING) {
  const log = memoryLogger();
  const metrics = createMetrics();
  const namespaces = new Map([['gw', after]]);
  const r = new AutoRollout({
    api: kubeApi(api.kubeConfig()),
    logger: log.logger,
    metrics,
    isLeader: () => leader,
    namespaces: () => namespaces,
    tuning,
  });
  return { r, log, metrics };
}
const hash = () =>
  (
    api.workload('Deployment', 'gw', 'aigw')?.spec as {
      template: { metadata: { annotations?: Record<string, string> } };
    }
  ).template.metadata.annotations?.[CONFIG_HASH];

describe('auto-rollout when the API server fails (stand-in API server)', () => {
  it('retries a namespace with backoff until the API server answers, then rolls once', async () => {
    const { r, log, metrics } = rollout();
    api.failing.add('workloads');
    r.namespaceChanged('gw', before, after);
    await eventually(() => log.text().includes('cannot list workloads'), 3000);
    api.failing.delete('workloads');
    await eventually(() => hash() === configHash(after), 3000);
    // The stand-in holds the patch a moment before the client has its answer and counts it.
    const rolled = async () =>
      /kind="Deployment",result="rolled"\} 1$/m.test(
        await metrics.registry.getSingleMetricAsString('aigw_otel_injector_rollouts_total'),
      );
    await eventually(rolled, 3000, 'the rollout is counted');
    await r.idle();
    expect(api.requests.filter((q) => q.method === 'PATCH')).toHaveLength(1);
    r.stop();
  });

  it('counts a namespace as rolling while queued and while waiting to retry; not once rolled', async () => {
    // A backoff of 100-200 ms: long enough to look at the namespace while it waits.
    const { r, log } = rollout(true, { ...TUNING, backoffBaseMs: 200, backoffCapMs: 200 });
    expect(r.rolling('gw'), 'before any change').toBe(false);
    api.failing.add('workloads');
    r.namespaceChanged('gw', before, after);
    expect(r.rolling('gw'), 'queued').toBe(true);
    expect(r.rolling('elsewhere')).toBe(false);
    await eventually(() => log.text().includes('cannot list workloads'), 3000);
    await new Promise((resolve) => setTimeout(resolve, 20)); // well inside the 100-200 ms backoff
    expect(r.rolling('gw'), 'waiting to retry').toBe(true);
    api.failing.delete('workloads');
    await eventually(() => hash() === configHash(after), 3000);
    await r.idle();
    expect(r.rolling('gw'), 'rolled').toBe(false);
    r.stop();
  });

  it('gives up after its attempts with an error line, and does not spin', async () => {
    const { r, log } = rollout();
    api.failing.add('workloads');
    r.namespaceChanged('gw', before, after);
    await eventually(() => log.text().includes('giving up on this change'), 3000);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the last attempt's other lists arrive
    const calls = api.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(api.requests.length).toBe(calls);
    expect(calls).toBeLessThanOrEqual(TUNING.attempts * 3); // three kinds listed per attempt
    expect(r.rolling('gw'), 'given up: the drift monitor may heal').toBe(false);
    r.stop();
  });

  it('a replica that does not lead only watches; unchanged configuration and no auto-rollout do nothing', async () => {
    const follower = rollout(false);
    follower.r.namespaceChanged('gw', before, after);
    const leader = rollout(true);
    leader.r.namespaceChanged('gw', after, after);
    leader.r.namespaceChanged('gw', before, { 'aigw-otel.io/endpoint': 'https://b:4317' });
    leader.r.namespaceChanged('gw', before, undefined);
    await Promise.all([follower.r.idle(), leader.r.idle()]);
    expect(api.requests).toEqual([]);
    expect(hash()).toBeUndefined();
  });
});
