/**
 * Issue 19, scenario 1: the real Deployment, ReplicaSet, StatefulSet and DaemonSet controllers create AI Gateway
 * pods in an annotated namespace; the real API server calls the injector (installed from our manifests, running as
 * its ServiceAccount) and stores what it returned. Every assertion reads the stored pod (`kubectl get -o json`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInjector, type RunningInjector } from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { haveRealParts } from '../helpers/real-parts.js';
import {
  CORE_IMAGE,
  expectedEnv,
  gatewayNamespace,
  ISTIO_IMAGE,
  LABS_IMAGE,
  PROCESSOR_IMAGE,
  storedPods,
  template,
} from './fixtures.js';

const NS = 'ai-gateway';
const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');

const sidecarEnv = [{ name: 'ISTIO_META_MESH_ID', value: 'cluster.local' }];
const WORKLOADS = [
  {
    case: 'Deployment of the core, with an istio-proxy sidecar',
    kind: 'Deployment',
    name: 'aigw',
    containers: [
      { name: 'aigw', image: CORE_IMAGE },
      { name: 'istio-proxy', image: ISTIO_IMAGE, env: sidecarEnv },
    ],
    role: 'core' as const,
    attribute: 'k8s.deployment.name=aigw',
  },
  {
    case: 'Deployment of the F5 processors',
    kind: 'Deployment',
    name: 'aigw-processors-f5',
    containers: [{ name: 'processor', image: PROCESSOR_IMAGE }],
    role: 'processor' as const,
    attribute: 'k8s.deployment.name=aigw-processors-f5',
  },
  {
    case: 'StatefulSet of the core',
    kind: 'StatefulSet',
    name: 'aigw-stateful',
    containers: [{ name: 'aigw', image: CORE_IMAGE }],
    role: 'core' as const,
    attribute: 'k8s.statefulset.name=aigw-stateful',
  },
  {
    case: 'DaemonSet of a processor-labs processor',
    kind: 'DaemonSet',
    name: 'aigw-processor-labs-prompt-guard',
    containers: [{ name: 'prompt-guard', image: LABS_IMAGE }],
    role: 'processor' as const,
    attribute: 'k8s.daemonset.name=aigw-processor-labs-prompt-guard',
  },
];

function workload(w: (typeof WORKLOADS)[number]) {
  const selector = { matchLabels: { 'app.kubernetes.io/name': w.name } };
  const spec = { selector, template: template(w.name, w.containers) };
  return {
    apiVersion: 'apps/v1',
    kind: w.kind,
    metadata: { name: w.name, namespace: NS },
    spec:
      w.kind === 'DaemonSet'
        ? spec
        : { ...spec, replicas: 1, ...(w.kind === 'StatefulSet' ? { serviceName: w.name } : {}) },
  };
}

/**
 * A Node for the DaemonSet controller to place a pod on. The API server's TaintNodesByCondition admission taints a
 * new Node `node.kubernetes.io/not-ready:NoSchedule`, which no DaemonSet pod tolerates; without a kubelet nothing
 * would ever lift it, so the test does, as a kubelet reporting Ready would.
 */
async function readyNode(cp: ControlPlane): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' } },
  };
  await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(node) });
  await cp.kubectl(['taint', 'nodes', 'node-a', 'node.kubernetes.io/not-ready-'], { allowFailure: true });
}

describe.skipIf(!real)('injection into pods the real controllers create', () => {
  let cp: ControlPlane;
  let injector: RunningInjector | undefined;

  beforeAll(async () => {
    cp = await startControlPlane();
    console.info(`control plane ready in ${cp.startupMs} ms`);
    const install = await installInjector(cp, { components: ['monitoring'] });
    injector = await install.startInjector();
    await install.waitForWebhooks(injector);
    await gatewayNamespace(cp, NS);
    await readyNode(cp);
    await cp.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: WORKLOADS.map(workload) }),
    });
  }, 240_000);

  afterAll(async () => {
    await injector?.stop();
    await cp?.stop();
  }, 60_000);

  it.each(WORKLOADS)('$case: the stored pod carries exactly the configuration', async (w) => {
    const [pod] = await storedPods(cp, NS, w.name);
    const [target, ...others] = pod.spec.containers;
    expect(target.env).toEqual(expectedEnv(w.role, NS, target.name, w.attribute));
    expect(target.volumeMounts.filter((m: any) => m.name === 'collector-ca-volume')).toEqual([
      { name: 'collector-ca-volume', mountPath: '/etc/collector', readOnly: true },
    ]);
    // The API server defaults what the patch added (defaultMode 420): the stand-in stored the patch as sent.
    expect(pod.spec.volumes.filter((v: any) => v.name === 'collector-ca-volume')).toEqual([
      { name: 'collector-ca-volume', configMap: { name: 'collector-ca', defaultMode: 420 } },
    ]);
    expect(pod.metadata.annotations['aigw-otel.io/injected']).toBe(w.role);
    expect(pod.metadata.annotations['aigw-otel.io/injected-hash']).toMatch(/^[0-9a-f]{16}$/);
    for (const sidecar of others) {
      expect(sidecar.env, 'a sidecar is never touched').toEqual(sidecarEnv);
      expect(sidecar.volumeMounts.map((m: any) => m.name)).toEqual([expect.stringMatching(/^kube-api-access-/)]);
    }
    const review = injector?.reviews().find((r) => r.namespace === NS && r.name?.startsWith(w.name));
    expect(review).toMatchObject({ webhook: 'mutate-pods', outcome: 'patched', reason: 'injected' });
  });

  it('every pod of a Deployment scaled up is configured alike, with the same hash', async () => {
    await cp.kubectl(['-n', NS, 'scale', 'deployment/aigw', '--replicas=3']);
    const pods = await storedPods(cp, NS, 'aigw', 3);
    const hashes = new Set(pods.map((p) => p.metadata.annotations?.['aigw-otel.io/injected-hash']));
    expect(hashes.size).toBe(1);
    expect([...hashes][0]).toMatch(/^[0-9a-f]{16}$/);
    for (const p of pods)
      expect(p.spec.containers[0].env).toEqual(expectedEnv('core', NS, 'aigw', 'k8s.deployment.name=aigw'));
  });

  it("the injector's own Deployment passes its namespace's restricted Pod Security: both pods are created", async () => {
    // No scheduler, so they stay Pending; a pod template that broke `restricted` would leave the ReplicaSet with a
    // FailedCreate Event instead of pods.
    const pods = await storedPods(cp, 'aigw-otel-injector', 'aigw-otel-injector', 2);
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.metadata.annotations?.['aigw-otel.io/injected']).toBeUndefined();
  });
});
