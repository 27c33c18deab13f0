/**
 * What users hit (issue 25, scenario 3, in part), on the real node with the injector installed by helm: for each,
 * what the pod and the injector do, as the kubelet ran it (the container's process environment, from /proc).
 *   - the CA ConfigMap is missing: the injector's pre-flight leaves the CA out; the pod starts (no FailedMount);
 *   - the headers Secret is missing: its `optional` secretKeyRef lets the kubelet start the container without it;
 *   - `helm upgrade` rolls the injector while pods are created throughout: every create succeeds, configured (the
 *     chart's maxUnavailable 0 and readiness probe; a rollout does not go through the PDB, evictions do);
 *   - an injector pod is force-deleted, its process killed, or evicted (a second eviction then refused by the
 *     chart's PDB) while pods are created: every create succeeds (the other replica, or fail open), and the
 *     Deployment brings it back Ready;
 *   - the injector is scaled to 0: failurePolicy Ignore admits the pod unchanged; it starts without telemetry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realPaths } from '../helpers/real-parts.js';
import { startCreateLoop, type CreateResult } from '../harness/node/create-loop.js';
import {
  INJECTOR_NAMESPACE,
  INJECTOR_READY_MS,
  INJECTOR_SELECTOR,
  helmInjector,
  installInjector,
} from '../harness/node/injector.js';
import { NODE_START_MS, NODE_STOP_MS, startNodeCluster, type NodeCluster } from '../harness/node/node-cluster.js';
import { IMAGE_REFS, haveNodeParts } from '../harness/node/parts.js';
import { containerPid, eventually, getPods, isReady, processFacts, type PodJson } from '../harness/node/pods.js';

const describeNode = describe.skipIf(!haveNodeParts('injectorImage', 'busyboxImage', 'helm'));

const ENDPOINT = 'https://collector.observability:4317';
// A pod starts in seconds on an idle node; a loaded machine takes longer.
const POD_MS = 120_000;

const NAMESPACES: Record<string, Record<string, string>> = {
  'no-ca': { 'aigw-otel.io/endpoint': ENDPOINT, 'aigw-otel.io/ca-configmap': 'missing-ca' },
  'no-headers': { 'aigw-otel.io/endpoint': ENDPOINT, 'aigw-otel.io/headers-secret': 'missing-headers' },
  scaled: { 'aigw-otel.io/endpoint': ENDPOINT },
  steady: { 'aigw-otel.io/endpoint': ENDPOINT },
};
// Creates before and after the disturbance, so that the stream covers all of it: a few creates' worth each.
const MARGIN_MS = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ReplicaSetJson {
  metadata: { name: string };
  spec: { replicas?: number; template: { metadata?: { annotations?: Record<string, string> } } };
  status: { replicas?: number; readyReplicas?: number };
}

/** What the stream saw: failed creates and, of the rest, those the webhook did not configure. */
const summary = (results: CreateResult[]) => ({
  failed: results.filter((r) => !r.ok).map((r) => `${r.atMs} ms: ${r.error}`),
  unconfigured: results.filter((r) => r.ok && !r.configured).map((r) => r.atMs),
});

/** A core pod (role label) running busybox until stopped. */
const corePod = (namespace: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'core', namespace, labels: { 'aigw-otel.io/role': 'core' } },
  spec: {
    containers: [{ name: 'aigw', image: IMAGE_REFS.busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
  },
});

describeNode('what users hit, on a real node', () => {
  let node: NodeCluster;
  beforeAll(async () => {
    node = await startNodeCluster({ images: [realPaths.injectorImage, realPaths.busyboxImage] });
    const items = Object.entries(NAMESPACES).map(([name, annotations]) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, annotations },
    }));
    await node.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
    for (const ns of Object.keys(NAMESPACES)) {
      await eventually(
        `ServiceAccount ${ns}/default`,
        async () =>
          (await node.kubectl(['-n', ns, 'get', 'sa', 'default'], { allowFailure: true })).code === 0 || undefined,
        60_000,
      );
    }
    await installInjector(node, 'scaled');
  }, NODE_START_MS);
  afterAll(() => node?.stop(), NODE_STOP_MS);

  /** Creates the core pod in the namespace; resolves with its process environment once it runs. */
  async function runs(namespace: string) {
    await node.kubectl(['create', '-f', '-'], { input: JSON.stringify(corePod(namespace)) });
    const pod = await eventually(
      `pod ${namespace}/core running`,
      async () => {
        const [p] = await getPods(node, namespace);
        return p?.status.containerStatuses?.[0]?.state?.running ? p : undefined;
      },
      POD_MS,
    );
    return { pod, env: processFacts(await containerPid(node, pod, 'aigw')).env };
  }

  it(
    'the CA ConfigMap is missing: the pod starts, configured, without the CA',
    async () => {
      const { pod, env } = await runs('no-ca');
      expect(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe(ENDPOINT);
      expect(env.OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE).toBeUndefined();
      const stored = await node.getJson(['-n', 'no-ca', 'get', 'pod', pod.metadata.name]);
      expect((stored.spec.volumes ?? []).map((v: { name: string }) => v.name)).not.toContain('collector-ca-volume');
    },
    POD_MS + 30_000,
  );

  it(
    'the headers Secret is missing: the kubelet starts the container without the headers',
    async () => {
      const { env } = await runs('no-headers');
      expect(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe(ENDPOINT);
      expect('OTEL_EXPORTER_OTLP_HEADERS' in env).toBe(false);
    },
    POD_MS + 30_000,
  );

  const injectorReplicaSets = async () =>
    (await node.getJson<{ items: ReplicaSetJson[] }>(['-n', INJECTOR_NAMESPACE, 'get', 'rs', '-l', INJECTOR_SELECTOR]))
      .items;
  const injectorPods = () => getPods(node, INJECTOR_NAMESPACE, INJECTOR_SELECTOR);
  /** The Eviction API, as `kubectl drain` uses it: refused (429) when the PDB allows no disruption. */
  const evict = (pod: PodJson) =>
    node.kubectl(
      ['create', '--raw', `/api/v1/namespaces/${INJECTOR_NAMESPACE}/pods/${pod.metadata.name}/eviction`, '-f', '-'],
      {
        input: JSON.stringify({
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: pod.metadata.name, namespace: INJECTOR_NAMESPACE },
        }),
        allowFailure: true,
      },
    );

  it(
    'helm upgrade rolls the injector while pods are created throughout: every create succeeds, configured',
    async ({ annotate }) => {
      const oldPods = (await injectorPods()).map((p) => p.metadata.uid);
      const loop = startCreateLoop(node, 'steady', ENDPOINT);
      await sleep(MARGIN_MS);
      // A pod-template change: a new ReplicaSet, rolled one surge pod at a time (maxUnavailable 0).
      await helmInjector(node, 'upgrade', ['podAnnotations.aigw-test-rollout=rolled']);
      const rolled = await eventually(
        'the new ReplicaSet Ready with 2 pods and the old ones scaled to 0',
        async () => {
          const sets = await injectorReplicaSets();
          const fresh = sets.filter((rs) => rs.spec.template.metadata?.annotations?.['aigw-test-rollout'] === 'rolled');
          const stale = sets.filter((rs) => !fresh.includes(rs));
          const done =
            fresh.length === 1 &&
            fresh[0]?.status.readyReplicas === 2 &&
            stale.length > 0 &&
            stale.every((rs) => rs.spec.replicas === 0 && (rs.status.replicas ?? 0) === 0);
          return done ? { fresh, stale } : undefined;
        },
        2 * INJECTOR_READY_MS,
      );
      // The old pods terminate after the chart's preStop sleep (5 s, while the Service drops them): creates go on
      // through it, and the checks below see only the new pods.
      await eventually(
        'the old injector pods gone',
        async () => !(await injectorPods()).some((p) => oldPods.includes(p.metadata.uid)) || undefined,
        2 * INJECTOR_READY_MS,
      );
      await sleep(MARGIN_MS);
      const results = await loop.stop();
      await annotate(`${results.length} creates over the rollout`);

      expect(summary(results)).toEqual({ failed: [], unconfigured: [] });
      expect(rolled.stale.length).toBe(1);
      const pods = await injectorPods();
      expect(pods.filter(isReady).length).toBe(2);
      expect(
        pods.some((p) => oldPods.includes(p.metadata.uid)),
        'an old injector pod is left',
      ).toBe(false);
      await node.kubectl(['-n', 'steady', 'delete', 'pods', '--all', '--wait=false']);
    },
    2 * INJECTOR_READY_MS + 60_000,
  );

  it.for([
    [
      'force-deleted',
      async (victim: PodJson): Promise<void> => {
        const name = victim.metadata.name;
        await node.kubectl(['-n', INJECTOR_NAMESPACE, 'delete', 'pod', name, '--grace-period=0', '--force']);
      },
      // Back: two Ready pods, the victim not among them.
      (victim: PodJson, pods: PodJson[]): boolean =>
        pods.filter(isReady).length === 2 && !pods.some((p) => p.metadata.uid === victim.metadata.uid),
    ],
    [
      'its process killed',
      async (victim: PodJson): Promise<void> => {
        process.kill(await containerPid(node, victim, 'injector'), 'SIGKILL');
      },
      // Back: the same pod, its container restarted and Ready, beside the other.
      (victim: PodJson, pods: PodJson[]): boolean =>
        pods.filter(isReady).length === 2 &&
        pods.some(
          (p) =>
            p.metadata.uid === victim.metadata.uid &&
            isReady(p) &&
            (p.status.containerStatuses?.[0]?.restartCount ?? 0) >
              (victim.status.containerStatuses?.[0]?.restartCount ?? 0),
        ),
    ],
    [
      'evicted, and the other refused by the PDB',
      async (victim: PodJson): Promise<void> => {
        // The disruption controller may not yet count the pod back from the case before: retry until allowed.
        await eventually(
          `eviction of ${victim.metadata.name} allowed`,
          async () => (await evict(victim)).code === 0 || undefined,
          INJECTOR_READY_MS,
        );
        const [other] = (await injectorPods()).filter((p) => isReady(p) && p.metadata.uid !== victim.metadata.uid);
        if (other === undefined) throw new Error('no other Ready injector pod');
        const refused = await evict(other);
        expect(refused.code, 'the second eviction').not.toBe(0);
        expect(refused.stderr).toContain('disruption budget');
      },
      // Back: two Ready pods, the evicted one not among them.
      (victim: PodJson, pods: PodJson[]): boolean =>
        pods.filter(isReady).length === 2 && !pods.some((p) => p.metadata.uid === victim.metadata.uid),
    ],
  ] as const)(
    'an injector pod %s while pods are created: every create succeeds, and the Deployment brings it back Ready',
    { timeout: INJECTOR_READY_MS + 60_000 },
    async ([, disturb, back], { annotate }) => {
      const [victim] = (await injectorPods()).filter(isReady);
      if (victim === undefined) throw new Error('no Ready injector pod');
      const loopStart = Date.now();
      const loop = startCreateLoop(node, 'steady', ENDPOINT);
      await sleep(MARGIN_MS);
      await disturb(victim);
      const disturbedAt = Date.now();
      await eventually(
        'the injector back to 2 Ready pods',
        async () => back(victim, await injectorPods()) || undefined,
        INJECTOR_READY_MS,
      );
      const backMs = Date.now() - disturbedAt;
      const backAtMs = Date.now() - loopStart;
      await sleep(MARGIN_MS);
      const results = await loop.stop();
      const { failed, unconfigured } = summary(results);
      await annotate(
        `${results.length} creates; ${unconfigured.length} admitted unconfigured (fail open); back Ready in ${backMs} ms`,
      );
      expect(failed).toEqual([]);
      // Once both replicas are back, every create is configured again.
      expect(results.some((r) => r.atMs >= backAtMs)).toBe(true);
      expect(unconfigured.filter((at) => at >= backAtMs)).toEqual([]);
      await node.kubectl(['-n', 'steady', 'delete', 'pods', '--all', '--wait=false']);
    },
  );

  it(
    'the injector is scaled to 0: the pod is admitted unchanged (failurePolicy Ignore) and starts',
    async () => {
      await node.kubectl(['-n', INJECTOR_NAMESPACE, 'scale', 'deployment', 'aigw-otel-injector', '--replicas=0']);
      await eventually(
        'no injector pod left',
        async () => ((await getPods(node, INJECTOR_NAMESPACE, INJECTOR_SELECTOR)).length === 0 ? true : undefined),
        POD_MS,
      );
      const { pod, env } = await runs('scaled');
      expect(Object.keys(env).filter((k) => k.startsWith('OTEL_'))).toEqual([]);
      const stored = await node.getJson(['-n', 'scaled', 'get', 'pod', pod.metadata.name]);
      expect(stored.metadata.annotations?.['aigw-otel.io/injected']).toBeUndefined();
    },
    2 * POD_MS + 30_000,
  );
});
