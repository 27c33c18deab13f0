/**
 * Issue 19, scenario 12: two replicas elect a leader on a real coordination.k8s.io Lease, and only the leader rolls.
 * Replica a starts first and takes the Lease; replica b finds it held. A namespace change is rolled once, by a. A
 * Lease taken from a (an intruder's write, as another holder's would be) makes a step down and drop its drift gauge
 * series. When a leader shuts down it hands the Lease over at once, and b rolls the next change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INJECTOR_NAMESPACE,
  installInjector,
  SERVICE_ACCOUNT_USER,
  type ClusterInstall,
  type RunningInjector,
} from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/process.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { LEAD_MS, REACT_MS, START_MS, STOP_MS, TEST_MS } from '../helpers/real-timeouts.js';
import { auditCount, logLines, metricValue, startReplica, templateAnnotations } from '../helpers/real-injector.js';
import { coreDeployment, GATEWAY_ANNOTATIONS, gatewayNamespace, storedPods } from './fixtures.js';

const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');
const NS = 'ai-gateway';
const LEASE = ['-n', INJECTOR_NAMESPACE, 'get', 'lease', 'aigw-otel-injector'];
const A = 'aigw-otel-injector-7d9f8-a';
const B = 'aigw-otel-injector-7d9f8-b';
// The Lease lasts 15 s and is looked at every 2 s (README, "Rollout on change"): a taken-over or expired Lease
// changes hands within ~17 s; on a loaded machine, give it twice that.
const HANDOVER_MS = 35_000;
const LEASE_MS = 15_000; // DEFAULT_LEADER_TUNING.leaseSeconds, as shipped
const ROLLED = 'auto-rollout: workload rolled to the new telemetry configuration';

describe.skipIf(!real)('two replicas and a real Lease', { timeout: TEST_MS }, () => {
  let cp: ControlPlane;
  let install: ClusterInstall;
  let a: RunningInjector | undefined;
  let b: RunningInjector | undefined;
  const leading = async (r: RunningInjector | undefined) =>
    r !== undefined && (await metricValue(r, 'aigw_otel_injector_leader')) === 1;
  const holder = async () => (await cp.getJson(LEASE)).spec.holderIdentity as string;
  const configHash = async () => (await templateAnnotations(cp, NS, 'deployment/aigw'))['aigw-otel.io/config-hash'];
  /** Changes the namespace's endpoint and waits for the Deployment's template to carry a new hash. */
  const changeEndpoint = async (host: string) => {
    const before = await configHash();
    await cp.kubectl(['annotate', '--overwrite', 'namespace', NS, `aigw-otel.io/endpoint=https://${host}:4317`]);
    await eventually(async () => ((await configHash()) ?? before) !== before, REACT_MS, `not rolled to ${host}`);
  };

  beforeAll(async () => {
    cp = await startControlPlane({ auditUsers: [SERVICE_ACCOUNT_USER] });
    install = await installInjector(cp, { components: ['auto-rollout'] });
    a = await startReplica(install, { hostname: A });
    await install.waitForWebhooks(a);
    await eventually(() => leading(a), LEAD_MS, `a does not lead:\n${a.logs()}`);
    b = await startReplica(install, { hostname: B, port: await freePort() });
    await gatewayNamespace(cp, NS, { ...GATEWAY_ANNOTATIONS, 'aigw-otel.io/auto-rollout': 'true' });
    await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(coreDeployment(NS)) });
    await storedPods(cp, NS, 'aigw');
  }, START_MS);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await cp?.stop();
  }, STOP_MS);

  it('the first replica holds the Lease the API server stores; the second, looking, does not lead', async () => {
    const lease = await cp.getJson(LEASE);
    expect(lease.spec).toMatchObject({ holderIdentity: A, leaseDurationSeconds: 15 });
    // Two renewals by a after b started: b has looked at the Lease at least once (every 2 s) meanwhile.
    const renewals = new Set<string>();
    await eventually(
      async () => renewals.add((await cp.getJson(LEASE)).spec.renewTime as string).size >= 3,
      LEAD_MS,
      'the Lease is not renewed',
    );
    expect(await holder()).toBe(A);
    expect(await leading(a)).toBe(true);
    expect(await leading(b)).toBe(false);
  });

  it('a namespace change is rolled once, by the leader', async () => {
    await changeEndpoint('otel-collector-v2.observability');
    expect(logLines(a!, ROLLED)).toHaveLength(1);
    expect(logLines(b!, ROLLED)).toHaveLength(0);
    expect(auditCount(cp, SERVICE_ACCOUNT_USER, 'patch', 'deployments', NS)).toBe(1);
  });

  it('a leader whose Lease is taken steps down and drops its drift gauge series', async () => {
    const series = { namespace: NS, state: 'stale' };
    // The rolled Deployment's old pod stays (no kubelet makes the new one available): a stale pod to count.
    await eventually(
      async () => (await metricValue(a!, 'aigw_otel_injector_pods_unconfigured', series)) !== undefined,
      REACT_MS,
      `a exports no drift gauge:\n${a?.logs()}`,
    );
    // A MicroTime: the API server refuses anything but six fractional digits.
    const renewTime = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const patch = JSON.stringify({ spec: { holderIdentity: 'intruder', renewTime } });
    await cp.kubectl(['-n', INJECTOR_NAMESPACE, 'patch', 'lease', 'aigw-otel-injector', '--type=merge', '-p', patch]);
    await eventually(async () => !(await leading(a)), HANDOVER_MS, 'a still leads');
    expect(await metricValue(a!, 'aigw_otel_injector_pods_unconfigured', series)).toBeUndefined();
    // Nobody renews the intruder's Lease: a replica takes it over once it expires.
    await eventually(async () => [A, B].includes(await holder()), HANDOVER_MS, 'the Lease was not taken over');
    const next = (await holder()) === A ? a : b;
    await eventually(() => leading(next), HANDOVER_MS, 'the new holder does not lead');
  });

  it('a leader that shuts down hands the Lease over at once; the other rolls the next change', async () => {
    const [leader, other] = (await holder()) === A ? [a, b] : [b, a];
    const otherName = leader === a ? B : A;
    const patches = auditCount(cp, SERVICE_ACCOUNT_USER, 'patch', 'deployments', NS);
    const rolledBefore = logLines(other!, ROLLED).length;
    await leader?.stop();
    if (leader === a) a = undefined;
    else b = undefined;
    await eventually(async () => (await holder()) === otherName, HANDOVER_MS, 'the Lease was not handed over');
    // Released (holder emptied), not expired: from the leader's release ("not leading", by its clock) to the
    // other's acquireTime (by its clock). Taking a released Lease waits one 2 s look; one left to expire, its 15 s
    // from the last renewal (at most a look before the release). Half the Lease lies far from both.
    const releasedAt = Date.parse(logLines(leader!, 'not leading').at(-1)?.time ?? '');
    const acquiredAt = Date.parse((await cp.getJson(LEASE)).spec.acquireTime);
    expect(acquiredAt - releasedAt).toBeLessThan(LEASE_MS / 2);
    await changeEndpoint('otel-collector-v3.observability');
    expect(logLines(other!, ROLLED)).toHaveLength(rolledBefore + 1);
    expect(auditCount(cp, SERVICE_ACCOUNT_USER, 'patch', 'deployments', NS)).toBe(patches + 1);
  });
});
