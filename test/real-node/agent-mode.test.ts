/**
 * Node-local Collector on a real node (issue 25, scenario 5): a Collector DaemonSet publishing OTLP/gRPC on the
 * node's hostPort 4317 (CNI portmap), and `ai-gateway` annotated with `endpoint-host: node`. The kubelet expands
 * `$(OTEL_NODE_IP)` from `status.hostIP` in the core's endpoint, and the core's spans arrive over mTLS at the
 * Collector on its own node (the server certificate names the node's address).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realPaths } from '../helpers/real-parts.js';
import {
  COLLECTOR_NAMESPACE,
  COLLECTOR_TOKEN,
  deployCollector,
  type NodeCollector,
} from '../harness/node/collector.js';
import { installInjector } from '../harness/node/injector.js';
import { NODE_START_MS, NODE_STOP_MS, startNodeCluster, type NodeCluster } from '../harness/node/node-cluster.js';
import { IMAGE_REFS, haveNodeParts } from '../harness/node/parts.js';
import {
  containerPid,
  eventually,
  logs,
  processFacts,
  readyPod,
  readyPods,
  type PodJson,
} from '../harness/node/pods.js';

const describeNode = describe.skipIf(!haveNodeParts('injectorImage', 'otelcolImage', 'coreImage', 'helm'));

const NS = 'ai-gateway';
// The pod starts and its batch of spans is exported within 5 s; a loaded machine gets a minute and a half.
const ARRIVE_MS = 90_000;

describeNode('node-local Collector: endpoint-host node, hostPort 4317', () => {
  let node: NodeCluster;
  let collector: NodeCollector;
  let core: PodJson;

  beforeAll(async () => {
    node = await startNodeCluster({ images: [realPaths.injectorImage, realPaths.otelcolImage, realPaths.coreImage] });
    collector = await deployCollector(node, true);
    await readyPods(node, COLLECTOR_NAMESPACE, 'app=collector-agent', 1, ARRIVE_MS);
    const objects = [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: NS,
          annotations: {
            // The host is replaced by the node's address: scheme and port are what count.
            'aigw-otel.io/endpoint': 'https://otel-agent:4317',
            'aigw-otel.io/endpoint-host': 'node',
            'aigw-otel.io/ca-configmap': 'collector-ca',
            'aigw-otel.io/client-cert-secret': 'collector-client',
            'aigw-otel.io/headers-secret': 'collector-headers',
          },
        },
      },
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
    await installInjector(node, NS);
    const labels = { 'app.kubernetes.io/name': 'aigw', 'app.kubernetes.io/instance': 'aigw' };
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'aigw', namespace: NS },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'aigw' } },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'aigw',
                image: IMAGE_REFS.core,
                imagePullPolicy: 'Never',
                securityContext: { runAsNonRoot: true, runAsUser: 65532, allowPrivilegeEscalation: false },
              },
            ],
          },
        },
      },
    };
    await node.kubectl(['apply', '-f', '-'], { input: JSON.stringify(deployment) });
    core = await readyPod(node, NS, 'app.kubernetes.io/name=aigw', ARRIVE_MS);
  }, NODE_START_MS);
  afterAll(() => node?.stop(), NODE_STOP_MS);

  it(
    'the kubelet expands $(OTEL_NODE_IP) from status.hostIP, and spans arrive at the node-local Collector',
    async () => {
      const env = processFacts(await containerPid(node, core, 'aigw')).env;
      expect(core.status.hostIP).toBe(node.nodeIp);
      expect(env.OTEL_NODE_IP).toBe(node.nodeIp);
      expect(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe(`https://${node.nodeIp}:4317`);
      const got = await eventually(
        'core-request at the node-local Collector',
        () =>
          collector
            .received()
            .filter((r) => r.signal === 'traces' && r.names.includes('core-request'))
            .flatMap((r) => r.resources)
            .find((a) => a['k8s.pod.uid'] === core.metadata.uid),
        ARRIVE_MS,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${core.metadata.name} logged:\n${await logs(node, NS, core.metadata.name)}`);
      });
      expect(got).toMatchObject({ 'k8s.pod.name': core.metadata.name, 'k8s.node.name': node.nodeName });
    },
    ARRIVE_MS + 30_000,
  );
});
