import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeApi } from '../../src/kube/api.js';
import { LeaderElector, type LeaderTuning } from '../../src/kube/leader.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { eventually } from '../helpers/eventually.js';
import { memoryLogger } from '../helpers/silent.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';

// Short periods so a takeover after an expiry fits in a test; the same ratios as the defaults.
const FAST: LeaderTuning = { leaseSeconds: 1, retryMs: 100, renewDeadlineMs: 600, requestTimeoutMs: 500 };
// For the tests that time a step-down or a hand-over: FAST, with a Lease of 3 s, so that what must not happen
// (waiting out the Lease, leading past its expiry) lies seconds, not 400 ms, away from what should.
const TIMED: LeaderTuning = { ...FAST, leaseSeconds: 3 };
const LEASE = { namespace: 'aigw-otel-injector', name: 'aigw-otel-injector' };

let api: StandInApiServer;
beforeEach(async () => {
  api = await new StandInApiServer().start();
});
afterEach(() => api.stop());

function replica(identity: string, tuning = FAST) {
  const metrics = createMetrics();
  const log = memoryLogger();
  const changes: string[] = [];
  // When it stopped leading, by the clock it renews by.
  let stoppedAt: number | undefined;
  const elector = new LeaderElector(
    kubeApi(api.kubeConfig()),
    { ...LEASE, identity },
    {
      logger: log.logger,
      metrics,
      onStartedLeading: () => changes.push('started'),
      onStoppedLeading: () => {
        stoppedAt = Date.now();
        changes.push('stopped');
      },
    },
    tuning,
  );
  const stopper = new AbortController();
  const running = elector.run(stopper.signal);
  return { elector, changes, log, stoppedAt: () => stoppedAt, stop: () => (stopper.abort(), running) };
}

const spec = () =>
  api.leases.get(`${LEASE.namespace}/${LEASE.name}`)?.spec as
    { holderIdentity?: string; renewTime?: string; acquireTime?: string } | undefined;
const holder = () => spec()?.holderIdentity;

describe('leader election on a Lease, against the stand-in API server', () => {
  it('of three replicas exactly one leads, and the Lease names it (times written as MicroTime)', async () => {
    const replicas = ['a', 'b', 'c'].map((id) => replica(id));
    await eventually(() => replicas.some((r) => r.elector.isLeader()), 3000);
    // Several rounds later there is still one leader, the same one.
    await new Promise((r) => setTimeout(r, 500));
    const leaders = replicas.filter((r) => r.elector.isLeader());
    expect(leaders).toHaveLength(1);
    expect(holder()).toBe(['a', 'b', 'c'][replicas.indexOf(leaders[0] as (typeof replicas)[number])]);
    expect(replicas.map((r) => r.log.text()).join('')).not.toMatch(/cannot be handled as a Lease/);
    await Promise.all(replicas.map((r) => r.stop()));
  });

  it('a leader that stops hands the Lease over at once; another takes it without waiting out the duration', async () => {
    const first = replica('first', TIMED);
    await eventually(() => first.elector.isLeader(), 3000);
    const second = replica('second', TIMED);
    await new Promise((r) => setTimeout(r, 300));
    expect(second.elector.isLeader()).toBe(false);
    await first.stop();
    expect(first.changes).toEqual(['started', 'stopped']);
    await eventually(() => second.elector.isLeader(), 3 * TIMED.leaseSeconds * 1000);
    expect(holder()).toBe('second');
    // From the first one's release to the second one's acquireTime, both by their own clocks. Waiting the Lease
    // out would take its 3 s from the first one's last renewal (a retry period or so before the release); taking the
    // released Lease, one retry period. Half the Lease lies far from both.
    const handOverMs = Date.parse(spec()?.acquireTime ?? '') - (first.stoppedAt() ?? NaN);
    expect(handOverMs).toBeLessThan((TIMED.leaseSeconds * 1000) / 2);
    await second.stop();
  });

  it('a Lease whose holder vanished is taken over once it has gone unrenewed for its duration', async () => {
    // A holder that died without releasing: its record stays as it last wrote it.
    const time = '2026-11-28T09:00:00.000000Z';
    api.leases.set(`${LEASE.namespace}/${LEASE.name}`, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: LEASE.name, namespace: LEASE.namespace, resourceVersion: '7' },
      spec: {
        holderIdentity: 'ghost',
        leaseDurationSeconds: 1,
        acquireTime: time,
        renewTime: time,
        leaseTransitions: 3,
      },
    });
    const startedAt = Date.now();
    const next = replica('next');
    await eventually(() => next.elector.isLeader(), 4000);
    // Measured on its own clock from when it first saw the record, not from the (old) renewTime.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000);
    expect(holder()).toBe('next');
    expect(
      (api.leases.get(`${LEASE.namespace}/${LEASE.name}`)?.spec as { leaseTransitions: number }).leaseTransitions,
    ).toBe(4);
    await next.stop();
  });

  it('a leader cut off from the API server stops leading after its renew deadline, before the Lease expires', async () => {
    const only = replica('only', TIMED);
    await eventually(() => only.elector.isLeader(), 3000);
    api.failing.add('leases');
    await eventually(() => !only.elector.isLeader(), 3 * TIMED.leaseSeconds * 1000);
    // Timed from its last renewal as the Lease records it, which is where the Lease's validity starts, to its step
    // down, both by its own clock: after the renew deadline, and before anyone else may take over.
    const ledPastRenewalMs = (only.stoppedAt() ?? NaN) - Date.parse(spec()?.renewTime ?? '');
    expect(ledPastRenewalMs).toBeGreaterThanOrEqual(TIMED.renewDeadlineMs);
    expect(ledPastRenewalMs).toBeLessThan(TIMED.leaseSeconds * 1000);
    expect(only.log.text()).toMatch(/lease renewal failed/);
    api.failing.delete('leases');
    await eventually(() => only.elector.isLeader(), 3000, 'leads again once the API server answers');
    await only.stop();
  });
});
