/**
 * Issue 20: the SDKs started from the pod the real API server stored. A real control plane (etcd, kube-apiserver,
 * kube-controller-manager) with the injector installed from our manifests; the real Deployment and ReplicaSet
 * controllers create the core's and the processors' pods in namespaces annotated for a Collector over mTLS with a
 * bearer token; each stored pod is bound to a node and given its node's IP as the scheduler and a kubelet would, read
 * back with `kubectl get pod -o json`, and the Go core and the Python processor run from exactly that pod (kubelet
 * stand-ins for its volumes and env) against a real Collector. What the Collector received must name the pod by its
 * real metadata: the generated name, the uid the API server gave it, its namespace, node and Deployment.
 * Two namespaces: one names the Collector by host (`localhost`); one sends each pod to the Collector on its node
 * (`endpoint-host: node`), which listens on that node's IP (127.0.0.2) only.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInjector, type RunningInjector } from '../helpers/cluster-install.js';
import { startCollector, type RealCollector } from '../helpers/collector.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { decide } from '../../src/core/inject.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { ipServerCert, killRunning, placeStored, runStored, type StoredPod } from '../helpers/sdk-run.js';
import { clientCert, serverPki } from '../helpers/telemetry-run.js';
import { CORE_IMAGE, PROCESSOR_IMAGE, serviceAccountReady, storedPods, template } from '../real-cluster/fixtures.js';
import { ARRIVAL_MS, DEADLINE_MS, FLUSH_MS } from './timing.js';

const TOKEN = 'stored-pod-token';
// Each namespace's pods go to a node of their own: its name and IP (Linux routes all of 127/8 to lo).
const NAMESPACES = {
  'ai-gateway-sdk': { node: 'node-a', hostIP: '127.0.0.1', host: 'localhost', extra: {} },
  'ai-gateway-agent': {
    node: 'node-b',
    hostIP: '127.0.0.2',
    // A host no resolver knows: only the node's IP reaches the Collector.
    host: 'otel-agent.invalid',
    extra: { 'aigw-otel.io/endpoint-host': 'node' },
  },
} as const;
type Namespace = keyof typeof NAMESPACES;
// Long enough for one export of each signal before the program flushes and exits.
const HOLD_MS = 1000;

const root = mkdtempSync(join(tmpdir(), 'aigw-real-stored-'));
const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd', 'otelcol', 'goCore', 'python');

const WORKLOADS = [
  { sdk: 'go-core', deployment: 'aigw', container: 'aigw', image: CORE_IMAGE },
  { sdk: 'python-processor', deployment: 'aigw-processors-f5', container: 'processor', image: PROCESSOR_IMAGE },
] as const;
const CASES = (Object.keys(NAMESPACES) as Namespace[]).flatMap((namespace) =>
  WORKLOADS.map((w) => ({ ...w, namespace })),
);

const dirOf = (namespace: string) => join(root, namespace);

/** A namespace's annotations for the Collector at `port`. */
function annotationsOf(namespace: Namespace, port: number): Record<string, string> {
  return {
    'aigw-otel.io/endpoint': `https://${NAMESPACES[namespace].host}:${port}`,
    'aigw-otel.io/ca-configmap': 'collector-ca',
    'aigw-otel.io/ca-mount-path': `${dirOf(namespace)}/etc/collector`,
    'aigw-otel.io/client-cert-secret': 'collector-client',
    'aigw-otel.io/client-cert-mount-path': `${dirOf(namespace)}/etc/collector-client`,
    'aigw-otel.io/headers-secret': 'collector-auth',
    'aigw-otel.io/metric-export-interval': '500ms',
    ...NAMESPACES[namespace].extra,
  };
}

/** A namespace annotated for the Collector at `port`, and the objects its annotations name. */
function namespaceObjects(namespace: Namespace, port: number, objects: ClusterObjects) {
  const annotations = annotationsOf(namespace, port);
  const meta = (name: string) => ({ name, namespace });
  const { configMaps, secrets } = objects;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, annotations } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('collector-ca'), data: configMaps['collector-ca'] },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: meta('collector-client'),
      stringData: secrets['collector-client'],
    },
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('collector-auth'), stringData: secrets['collector-auth'] },
  ];
}

function deployment(w: (typeof CASES)[number]) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: w.deployment, namespace: w.namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': w.deployment } },
      template: template(w.deployment, [{ name: w.container, image: w.image }]),
    },
  };
}

interface ClusterObjects {
  configMaps: Record<string, Record<string, string>>;
  secrets: Record<string, Record<string, string>>;
}

describe.skipIf(!real)('the real SDKs run from the pods the real API server stored', () => {
  let cp: ControlPlane;
  let injector: RunningInjector | undefined;
  const collectors: Partial<Record<Namespace, RealCollector>> = {};
  let objects: ClusterObjects;

  beforeAll(async () => {
    const pki = serverPki();
    const client = clientCert(pki.dir, 'aigw-client');
    const auth = { clientCa: pki.ca, bearerToken: TOKEN };
    collectors['ai-gateway-sdk'] = await startCollector({ cert: pki.cert, key: pki.key, ...auth });
    // The node-local Collector: on the node's IP only, with a certificate for that IP (README, agent mode and TLS).
    const agentIp = NAMESPACES['ai-gateway-agent'].hostIP;
    collectors['ai-gateway-agent'] = await startCollector({
      ...ipServerCert(pki.dir, agentIp),
      ...auth,
      host: agentIp,
    });
    objects = {
      configMaps: { 'collector-ca': { 'ca.crt': pki.ca } },
      secrets: {
        'collector-client': { 'tls.crt': client.cert, 'tls.key': client.key },
        'collector-auth': { headers: `Authorization=Bearer%20${TOKEN}` },
      },
    };
    cp = await startControlPlane();
    const install = await installInjector(cp);
    injector = await install.startInjector();
    await install.waitForWebhooks(injector);
    const items = (Object.keys(NAMESPACES) as Namespace[]).flatMap((ns) => [
      ...namespaceObjects(ns, collectorOf(ns).grpcPort, objects),
      { apiVersion: 'v1', kind: 'Node', metadata: { name: NAMESPACES[ns].node } },
    ]);
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
    for (const ns of Object.keys(NAMESPACES)) await serviceAccountReady(cp, ns);
    await cp.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: CASES.map(deployment) }),
    });
  }, 240_000);

  afterAll(async () => {
    killRunning();
    await injector?.stop();
    await cp?.stop();
    for (const c of Object.values(collectors)) await c.stop();
  }, 60_000);

  function collectorOf(namespace: Namespace): RealCollector {
    const c = collectors[namespace];
    if (c === undefined) throw new Error(`no Collector for ${namespace}`);
    return c;
  }

  /** Binds the pod to its node (as the scheduler does) and reports the node's IP (as the kubelet does); reads it back. */
  async function scheduled(namespace: Namespace, name: string): Promise<StoredPod> {
    const { node, hostIP } = NAMESPACES[namespace];
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: node } };
    await cp.kubectl(['create', '--raw', `/api/v1/namespaces/${namespace}/pods/${name}/binding`, '-f', '-'], {
      input: JSON.stringify(binding),
    });
    const status = JSON.stringify({ status: { hostIP, hostIPs: [{ ip: hostIP }] } });
    await cp.kubectl(['-n', namespace, 'patch', 'pod', name, '--subresource=status', '--type=merge', '-p', status]);
    return cp.getJson<StoredPod>(['-n', namespace, 'get', 'pod', name]);
  }

  it.each(CASES)(
    'in $namespace, $sdk from the stored pod of Deployment $deployment: the Collector hears its real name, uid and Deployment',
    async (w) => {
      const [created] = (await storedPods(cp, w.namespace, w.deployment)) as StoredPod[];
      const stored = await scheduled(w.namespace, created?.metadata.name ?? '');
      expect(stored.metadata.annotations?.['aigw-otel.io/injected']).toBe(w.sdk === 'go-core' ? 'core' : 'processor');
      // The webhook called again on the pod as stored (the API server's defaults filled in) would change nothing.
      const again = decide(annotationsOf(w.namespace, collectorOf(w.namespace).grpcPort), stored, {
        caStatus: 'present',
        namespace: w.namespace,
      });
      expect(again.reason).toBe('already-configured');
      const run = await runStored(
        w.sdk,
        stored,
        placeStored(stored, objects),
        { container: w.container, root: dirOf(w.namespace) },
        { holdMs: HOLD_MS, deadlineMs: DEADLINE_MS, flushMs: FLUSH_MS },
      );
      expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
      const collector = collectorOf(w.namespace);
      const mine = () => collector.received().filter((r) => r.resources[0]?.['k8s.pod.uid'] === stored.metadata.uid);
      const wanted = w.sdk === 'go-core' ? ['core-request', 'core_requests'] : ['processor-request'];
      await eventually(
        () => wanted.every((n) => mine().some((r) => r.names.includes(n))),
        ARRIVAL_MS,
        `not all of ${wanted.join(', ')}:\n${run.stdout}${run.stderr}\n${collector.log()}`,
      );
      const { metadata } = stored;
      // The name the ReplicaSet controller generated (`<replicaset>-<5 letters>`), not anything a stand-in made up.
      expect(metadata.name).toMatch(new RegExp(`^${w.deployment}-[0-9a-f]+-[a-z0-9]{5}$`));
      expect(metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      for (const received of mine()) {
        expect(received.resources[0]).toMatchObject({
          'k8s.pod.name': metadata.name,
          'k8s.pod.uid': metadata.uid,
          'k8s.namespace.name': w.namespace,
          'k8s.node.name': NAMESPACES[w.namespace].node,
          'k8s.container.name': w.container,
          'k8s.deployment.name': w.deployment,
        });
      }
      expect(run.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe(`${endpointOf(w.namespace)}`);
    },
    DEADLINE_MS + ARRIVAL_MS + 30_000,
  );

  /** The endpoint the kubelet gives the container: the node's IP in agent mode, the host as annotated otherwise. */
  function endpointOf(namespace: Namespace): string {
    const { host, hostIP, extra } = NAMESPACES[namespace];
    return `https://${'aigw-otel.io/endpoint-host' in extra ? hostIP : host}:${collectorOf(namespace).grpcPort}`;
  }
});
