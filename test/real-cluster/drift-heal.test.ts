/**
 * Issue 19, scenario 5: pods that missed their configuration, with the real API server and controllers. Deployments
 * are created while the webhook is down (the API server fails open: their pods are stored unconfigured). The
 * `status` command reports them; once the injector runs (and leads), the drift monitor reports them as the gauge and
 * a `TelemetryConfigMissing` Event on the Deployment (shown by `kubectl describe deployment`), and in the namespace
 * with `auto-rollout: "true"` heals the Deployment once: the real Deployment controller makes one new ReplicaSet,
 * whose pod the webhook configures. The namespace without auto-rollout is reported, never rolled.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStatus } from '../../src/cli/status.js';
import type { CliResult } from '../../src/cli/run.js';
import { kubeApi } from '../../src/kube/api.js';
import { installInjector, SERVICE_ACCOUNT_USER, type RunningInjector } from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { REACT_MS, START_MS, STOP_MS, TEST_MS } from '../helpers/real-timeouts.js';
import {
  auditCount,
  eventsWithReason,
  metricValue,
  replicaSetsOf,
  templateAnnotations,
} from '../helpers/real-injector.js';
import { coreDeployment, GATEWAY_ANNOTATIONS, gatewayNamespace, storedPods } from './fixtures.js';

const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');
// The drift monitor scans namespaces in the order of its first list (by name): REPORT_NS after HEAL_NS.
const HEAL_NS = 'gateway-heal';
const REPORT_NS = 'gateway-report';
const CASES = [
  { case: 'a namespace with auto-rollout', ns: HEAL_NS, healed: true },
  { case: 'a namespace without auto-rollout', ns: REPORT_NS, healed: false },
];

/** `aigw-otel-injector status -o json`, as main.ts runs it, with the admin's kubeconfig. */
async function status(cp: ControlPlane): Promise<CliResult> {
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  return runStatus(kubeApi(kc), 'json');
}

describe.skipIf(!real)('pods created while the webhook was down are reported and healed', { timeout: TEST_MS }, () => {
  let cp: ControlPlane;
  let injector: RunningInjector | undefined;
  let statusWhileDown: CliResult;

  beforeAll(async () => {
    cp = await startControlPlane({ auditUsers: [SERVICE_ACCOUNT_USER] });
    const install = await installInjector(cp, { components: ['auto-rollout'] });
    // Installed but not running: the API server's calls are refused and it fails open (failurePolicy Ignore).
    await gatewayNamespace(cp, HEAL_NS, { ...GATEWAY_ANNOTATIONS, 'aigw-otel.io/auto-rollout': 'true' });
    await gatewayNamespace(cp, REPORT_NS);
    for (const { ns } of CASES) {
      await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(coreDeployment(ns)) });
      const [pod] = await storedPods(cp, ns, 'aigw');
      expect(pod.metadata.annotations?.['aigw-otel.io/injected'], 'stored unconfigured').toBeUndefined();
    }
    statusWhileDown = await status(cp);
    injector = await install.startInjector();
  }, START_MS);

  afterAll(async () => {
    await injector?.stop();
    await cp?.stop();
  }, STOP_MS);

  it('`status` reports each Deployment with its pod missing, and exits 1', () => {
    expect(statusWhileDown.code).toBe(1);
    const report = JSON.parse(statusWhileDown.stdout);
    for (const { ns } of CASES) {
      const namespace = report.namespaces.find((n: any) => n.name === ns);
      expect(namespace).toMatchObject({ ok: false });
      expect(namespace.workloads).toEqual([{ kind: 'Deployment', name: 'aigw', configured: 0, missing: 1, stale: 0 }]);
    }
  });

  it.each(CASES)('$case: the gauge counts the pod as missing', async ({ ns }) => {
    await eventually(
      async () =>
        (await metricValue(injector!, 'aigw_otel_injector_pods_unconfigured', { namespace: ns, state: 'missing' })) ===
        1,
      REACT_MS,
      `no gauge for ${ns}:\n${injector?.logs()}`,
    );
  });

  it.each(CASES)('$case: a TelemetryConfigMissing Event on the Deployment, in `kubectl describe`', async ({ ns }) => {
    const uid = (await cp.getJson(['-n', ns, 'get', 'deployment/aigw'])).metadata.uid;
    let events: any[] = [];
    await eventually(
      async () => (events = await eventsWithReason(cp, ns, 'TelemetryConfigMissing')).length > 0,
      REACT_MS,
      `no TelemetryConfigMissing Event in ${ns}:\n${injector?.logs()}`,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Deployment', name: 'aigw', uid } });
    const described = (await cp.kubectl(['-n', ns, 'describe', 'deployment', 'aigw'])).stdout;
    expect(described).toMatch(/Warning\s+TelemetryConfigMissing\s+.*no telemetry configuration/);
  });

  it('with auto-rollout: healed once, into one new ReplicaSet whose pod is configured', async () => {
    let healed: string | undefined;
    await eventually(
      async () =>
        (healed = (await templateAnnotations(cp, HEAL_NS, 'deployment/aigw'))['aigw-otel.io/healed']) !== undefined,
      REACT_MS,
      `not healed:\n${injector?.logs()}`,
    );
    const pods = await storedPods(cp, HEAL_NS, 'aigw', 2);
    const configured = pods.filter((p) => p.metadata.annotations?.['aigw-otel.io/injected'] === 'core');
    expect(configured).toHaveLength(1);
    expect(configured[0].metadata.annotations['aigw-otel.io/injected-hash']).toBe(healed);
    expect(await replicaSetsOf(cp, HEAL_NS, 'aigw')).toHaveLength(2);
  });

  it.each(CASES)('$case: one more drift scan rolls nothing more', async ({ ns, healed }) => {
    // The healed Deployment's old pod stays (its new pod never becomes available without a kubelet), so the next
    // scan still finds a missing pod: its template already asks for the configuration, so it is not rolled again.
    const scanned = () => auditCount(cp, SERVICE_ACCOUNT_USER, 'list', 'pods', REPORT_NS);
    await eventually(async () => (await replicaSetsOf(cp, HEAL_NS, 'aigw')).length === 2, REACT_MS, 'not healed');
    const before = scanned();
    await cp.kubectl(['annotate', '--overwrite', 'namespace', HEAL_NS, `team=payments-${ns}`]);
    await eventually(() => scanned() > before, REACT_MS, 'no drift scan after the namespace change');
    expect(auditCount(cp, SERVICE_ACCOUNT_USER, 'patch', 'deployments', ns)).toBe(healed ? 1 : 0);
    expect(await replicaSetsOf(cp, ns, 'aigw')).toHaveLength(healed ? 2 : 1);
    const annotations = await templateAnnotations(cp, ns, 'deployment/aigw');
    expect(annotations['aigw-otel.io/healed'] !== undefined).toBe(healed);
  });
});
