/**
 * Telemetry arrives through a real kubelet (issue 25, scenario 2). On the real node: the injector installed with
 * helm, a Collector Deployment and Service in `observability` (OTLP/gRPC over TLS, client certificates required,
 * bearer auth), and `ai-gateway` annotated with the endpoint at the Service's ClusterIP (no cluster DNS runs here,
 * so no name would resolve; the server certificate names that IP), the CA ConfigMap, the client certificate
 * Secret, the headers Secret and a 2 s interval. An F5-shaped core Deployment (image …/aigw, the Go SDK program)
 * and processor Deployment (image …/aigw-processors-f5, the Python SDK program) start, and the Collector receives
 * their spans and the core's metrics over mTLS, with `k8s.*` attributes equal to the running pods' names, uids and
 * node. The kubelet, not our stand-in, resolved the env (`$(…)`, secretKeyRef) and mounted the files.
 * Then (scenario 4) auto-rollout: a new interval annotation rolls the core's Deployment once; the new running
 * container has the new interval, and the Collector sees the new pod's collections at it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realPaths } from '../helpers/real-parts.js';
import {
  deployCollector,
  COLLECTOR_NAMESPACE,
  COLLECTOR_TOKEN,
  type NodeCollector,
} from '../harness/node/collector.js';
import { installInjector } from '../harness/node/injector.js';
import { NODE_START_MS, NODE_STOP_MS, startNodeCluster, type NodeCluster } from '../harness/node/node-cluster.js';
import { IMAGE_REFS, haveNodeParts } from '../harness/node/parts.js';
import {
  containerPid,
  eventually,
  getPods,
  isReady,
  logs,
  processFacts,
  readyPod,
  readyPods,
  type PodJson,
} from '../harness/node/pods.js';

const describeNode = describe.skipIf(
  !haveNodeParts('injectorImage', 'otelcolImage', 'coreImage', 'processorImage', 'helm'),
);

const NS = 'ai-gateway';
// Pods start (the processor's image is a Python runtime) and export: spans within the batch delay (5 s), metrics
// at the 2 s interval; on a loaded machine give each arrival a minute and a half.
const ARRIVE_MS = 90_000;

const deployment = (name: string, app: string, image: string, container: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: NS },
  spec: {
    replicas: 1,
    selector: { matchLabels: { 'app.kubernetes.io/name': app } },
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': 'aigw' } },
      spec: {
        containers: [
          {
            name: container,
            image,
            imagePullPolicy: 'Never',
            securityContext: {
              allowPrivilegeEscalation: false,
              runAsNonRoot: true,
              runAsUser: 65532,
              capabilities: { drop: ['ALL'] },
            },
          },
        ],
      },
    },
  },
});

describeNode('telemetry through a real kubelet: core and processor to a Collector over mTLS', () => {
  let node: NodeCluster;
  let collector: NodeCollector;
  let core: PodJson;
  let processor: PodJson;

  beforeAll(async () => {
    node = await startNodeCluster({
      images: [realPaths.injectorImage, realPaths.otelcolImage, realPaths.coreImage, realPaths.processorImage],
    });
    collector = await deployCollector(node);
    await readyPods(node, COLLECTOR_NAMESPACE, 'app=collector', 1, ARRIVE_MS);
    const namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: NS,
        annotations: {
          'aigw-otel.io/endpoint': `https://${collector.host}:4317`,
          'aigw-otel.io/ca-configmap': 'collector-ca',
          'aigw-otel.io/client-cert-secret': 'collector-client',
          'aigw-otel.io/headers-secret': 'collector-headers',
          'aigw-otel.io/metric-export-interval': '2s',
          'aigw-otel.io/auto-rollout': 'true',
        },
      },
    };
    const objects = [
      namespace,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'collector-ca', namespace: NS },
        data: { 'ca.crt': collector.caPem },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name: 'collector-client', namespace: NS },
        stringData: { 'tls.crt': collector.client.cert, 'tls.key': collector.client.key },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'collector-headers', namespace: NS },
        stringData: { headers: `Authorization=Bearer%20${COLLECTOR_TOKEN}` },
      },
    ];
    await node.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    });
    await eventually(
      `ServiceAccount ${NS}/default`,
      async () =>
        (await node.kubectl(['-n', NS, 'get', 'sa', 'default'], { allowFailure: true })).code === 0 || undefined,
      60_000,
    );
    // Rollout on change on (chart value autoRollout.enabled): the last test changes the interval.
    await installInjector(node, NS, ['autoRollout.enabled=true']);
    await node.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          deployment('aigw', 'aigw', IMAGE_REFS.core, 'aigw'),
          deployment('aigw-processors-f5', 'aigw-processors-f5', IMAGE_REFS.processor, 'processors-f5'),
        ],
      }),
    });
    core = await readyPod(node, NS, 'app.kubernetes.io/name=aigw', ARRIVE_MS);
    processor = await readyPod(node, NS, 'app.kubernetes.io/name=aigw-processors-f5', ARRIVE_MS);
  }, NODE_START_MS);
  afterAll(() => node?.stop(), NODE_STOP_MS);

  it.each([
    { role: 'core', span: 'core-request', deployment: 'aigw', container: 'aigw' },
    { role: 'processor', span: 'processor-request', deployment: 'aigw-processors-f5', container: 'processors-f5' },
  ])(
    "$role: its spans arrive over mTLS with the running pod's k8s.* attributes",
    async (c) => {
      const pod = c.role === 'core' ? core : processor;
      const got = await eventually(
        `${c.span} at the Collector`,
        () =>
          collector
            .received()
            .filter((r) => r.signal === 'traces' && r.names.includes(c.span))
            .flatMap((r) => r.resources)
            .find((attrs) => attrs['k8s.pod.name'] === pod.metadata.name),
        ARRIVE_MS,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${pod.metadata.name} logged:\n${await logs(node, NS, pod.metadata.name)}`);
      });
      expect(got).toMatchObject({
        'k8s.namespace.name': NS,
        'k8s.pod.name': pod.metadata.name,
        'k8s.pod.uid': pod.metadata.uid,
        'k8s.node.name': node.nodeName,
        'k8s.container.name': c.container,
        'k8s.deployment.name': c.deployment,
      });
      expect(pod.spec.nodeName).toBe(node.nodeName);
      // The kubelet resolved the env: no `$(…)` is left, and the headers came from the Secret.
      const env = processFacts(await containerPid(node, pod, c.container)).env;
      expect(env.OTEL_RESOURCE_ATTRIBUTES).not.toContain('$(');
      expect(env.OTEL_EXPORTER_OTLP_HEADERS).toBe(`Authorization=Bearer%20${COLLECTOR_TOKEN}`);
    },
    ARRIVE_MS + 30_000,
  );

  it(
    'core: its metrics arrive at the 2 s interval the namespace set',
    async () => {
      const points = await eventually(
        'three metric exports from the core pod',
        () => {
          const times = collector
            .received()
            .filter((r) => r.signal === 'metrics' && r.resources.some((a) => a['k8s.pod.uid'] === core.metadata.uid))
            .flatMap((r) => r.pointTimesMs);
          return times.length >= 3 ? times : undefined;
        },
        ARRIVE_MS,
      );
      const gaps = points.slice(1).map((t, i) => t - (points[i] ?? t));
      // Collection times are the SDK's own clock: the interval, whatever the load (a late tick is never early).
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1500);
      const names = collector
        .received()
        .filter((r) => r.signal === 'metrics')
        .flatMap((r) => r.names);
      expect(names).toContain('core_requests');
    },
    ARRIVE_MS + 30_000,
  );

  it(
    'auto-rollout: a new interval rolls the core once; the new running container and the Collector have it',
    async () => {
      const before = core.metadata.uid;
      await node.kubectl(['annotate', '--overwrite', 'namespace', NS, 'aigw-otel.io/metric-export-interval=3s']);
      const rolled = await eventually(
        'the core rolled to a new pod',
        async () => {
          const pods = await getPods(node, NS, 'app.kubernetes.io/name=aigw');
          const [only] = pods;
          return pods.length === 1 && only !== undefined && only.metadata.uid !== before && isReady(only)
            ? only
            : undefined;
        },
        ARRIVE_MS,
      );
      // Once: the Deployment has made exactly one new ReplicaSet.
      const sets = await node.getJson(['-n', NS, 'get', 'replicasets', '-l', 'app.kubernetes.io/name=aigw']);
      expect(sets.items).toHaveLength(2);
      const env = processFacts(await containerPid(node, rolled, 'aigw')).env;
      expect(env.OTEL_METRIC_EXPORT_INTERVAL).toBe('3000');
      const points = await eventually(
        'three metric exports from the new pod',
        () => {
          const times = collector
            .received()
            .filter((r) => r.signal === 'metrics' && r.resources.some((a) => a['k8s.pod.uid'] === rolled.metadata.uid))
            .flatMap((r) => r.pointTimesMs);
          return times.length >= 3 ? times : undefined;
        },
        ARRIVE_MS,
      );
      const gaps = points.slice(1).map((t, i) => t - (points[i] ?? t));
      // The SDK's own collection clock: 3 s apart, never less (2.5 s allows its timer's jitter).
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(2500);
    },
    2 * ARRIVE_MS + 30_000,
  );
});
