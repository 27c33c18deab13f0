/**
 * The collector probe follows the auto-rollout Lease (injector.ts wiring): with two replicas only the leader probes
 * and exports the gauge; when the Lease moves, the former leader drops its series and the new one probes afresh.
 * The Collector is a plain TCP listener on loopback (http:// gets a TCP connect); its CA ConfigMap is not needed.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TUNING } from '../../src/namespaces/cluster-source.js';
import { eventually } from '../helpers/eventually.js';
import { startTestInjector, type TestInjector } from '../helpers/injector.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';
import { a, FAST_LEADER, LEASE_KEY, leads, metricsOf } from './drift-setup.js';

let api: StandInApiServer;
let collector: Server;
let connections = 0;
let replicas: TestInjector[];

const probeSeries = (text: string) =>
  text.split('\n').filter((l) => l.startsWith('aigw_otel_injector_collector_probe{'));

beforeAll(async () => {
  collector = createServer((s) => {
    connections++;
    s.end();
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const { port } = collector.address() as { port: number };
  api = await new StandInApiServer().start();
  api.setNamespace('gateways', { [a('endpoint')]: `http://127.0.0.1:${port}` });
  replicas = await Promise.all(
    ['injector-a', 'injector-b'].map((hostname) =>
      startTestInjector(
        undefined,
        { HOSTNAME: hostname, POD_NAMESPACE: 'aigw-otel-injector', AUTO_ROLLOUT: 'true', COLLECTOR_PROBE: 'true' },
        {
          kubeConfig: api.kubeConfig(),
          clusterTuning: { ...DEFAULT_TUNING, backoffBaseMs: 20, backoffCapMs: 200 },
          leaderTuning: FAST_LEADER,
        },
      ),
    ),
  );
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await api.stop();
  await new Promise((r) => collector.close(r));
});

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

describe('the collector probe across a Lease takeover', () => {
  it('only the leader probes and reports; the Lease moved, the new leader does and the former one drops its series', async () => {
    await eventually(async () => (await Promise.all(replicas.map(leads))).some(Boolean), 5000, 'a leader');
    const leaderIndex = (await Promise.all(replicas.map(leads))).indexOf(true);
    const [leader, other] = leaderIndex === 0 ? replicas : [...replicas].reverse();
    if (leader === undefined || other === undefined) throw new Error('two replicas');
    const ok = 'aigw_otel_injector_collector_probe{namespace="gateways",result="ok"} 1';
    await eventually(async () => probeSeries(await metricsOf(leader)).includes(ok), 5000, 'the leader reports');
    expect(connections, 'one probe, by the leader').toBe(1);
    expect(probeSeries(await metricsOf(other)), 'a replica that never led reports nothing').toEqual([]);

    handLeaseTo(other === replicas[0] ? 'injector-a' : 'injector-b');
    await eventually(() => leads(other), 5000, 'the other replica leads');
    await eventually(async () => probeSeries(await metricsOf(other)).includes(ok), 5000, 'the new leader reports');
    await eventually(async () => probeSeries(await metricsOf(leader)).length === 0, 2000, 'the former leader stops');
    expect(connections, 'the new leader probed afresh').toBe(2);
  });
});
