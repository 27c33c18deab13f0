/**
 * A replica that loses the Lease stops reporting the drift gauge (issue 18, 3): two replicas, the Lease handed
 * from one to the other while both keep running, and the pods replaced meanwhile. Summed over the replicas, as the
 * dashboard and any alert do, the gauge is the new leader's count alone and reaches 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import type { TestInjector } from '../helpers/injector.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';
import {
  a,
  admittedPod,
  LEASE_KEY,
  leads,
  metricsOf,
  missingPod,
  replica,
  template,
  unconfigured,
} from './drift-setup.js';

const configured = { [a('endpoint')]: 'https://collector:4317' };
// Scans every 200 ms, so the test waits for counts in tenths of a second.
const DRIFT = { periodMs: 200, healPacingMs: 20, requestTimeoutMs: 1000 };

let api: StandInApiServer;
let replicas: TestInjector[];
beforeAll(async () => {
  api = await new StandInApiServer().start();
  // Reported, not healed (no auto-rollout): the counts stay until the test replaces the pods.
  api.setNamespace('gateways', configured);
  api.setWorkload('Deployment', 'gateways', 'aigw', template());
  missingPod(api, 'gateways', 'aigw', 'down1');
  missingPod(api, 'gateways', 'aigw', 'down2');
  replicas = await Promise.all(['injector-a', 'injector-b'].map((h) => replica(api, h, DRIFT)));
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await api.stop();
});

const series = (text: string) => text.split('\n').filter((l) => l.startsWith('aigw_otel_injector_pods_unconfigured{'));

/** Hands the Lease to `identity` as another replica's takeover does: a new holder and resourceVersion. */
function handLeaseTo(identity: string): void {
  const lease = api.leases.get(LEASE_KEY);
  if (lease === undefined) throw new Error('no Lease yet');
  const spec = lease.spec as Record<string, unknown>;
  api.leases.set(LEASE_KEY, {
    ...lease,
    metadata: { ...lease.metadata, resourceVersion: `handed-${identity}` },
    spec: { ...spec, holderIdentity: identity, leaseTransitions: Number(spec.leaseTransitions) + 1 },
  });
}

describe('the drift gauge across a Lease takeover', () => {
  it('only the leader reports; after the takeover the former leader has no series and the sum reaches 0', async () => {
    await eventually(async () => (await Promise.all(replicas.map(leads))).some(Boolean), 5000, 'a leader');
    const leaderIndex = (await Promise.all(replicas.map(leads))).indexOf(true);
    const [leader, other] = leaderIndex === 0 ? replicas : [...replicas].reverse();
    if (leader === undefined || other === undefined) throw new Error('two replicas');
    await eventually(async () => unconfigured(await metricsOf(leader), 'gateways', 'missing') === 2, 5000);
    expect(series(await metricsOf(other)), 'a replica that never led reports nothing').toEqual([]);

    handLeaseTo(other === replicas[0] ? 'injector-a' : 'injector-b');
    await eventually(() => leads(other), 5000, 'the other replica leads');
    // The new leader sees the pods replaced by configured ones.
    for (const name of [...api.pods.keys()]) api.pods.delete(name);
    admittedPod(api, 'gateways', 'aigw', configured);
    await eventually(async () => unconfigured(await metricsOf(other), 'gateways', 'missing') === 0, 5000);

    await eventually(async () => series(await metricsOf(leader)).length === 0, 2000, 'the former leader stops');
    const texts = await Promise.all(replicas.map(metricsOf));
    const summed = texts.map((t) => unconfigured(t, 'gateways', 'missing')).filter((n) => !Number.isNaN(n));
    expect(summed, 'sum by (namespace, state) over both replicas').toEqual([0]);
  });
});
