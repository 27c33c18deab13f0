/**
 * Install, as a user installs it, on a real node (issue 25, scenario 1): our image (test/real/parts/60-image.sh)
 * imported into containerd, then `helm install` of the chart changing only `image.*` (local repository,
 * pullPolicy Never) — and the same with the kustomize static-certs overlay, the Deployment's image changed only.
 * For each: both replicas become Ready through their own probes (startup, readiness on the admin port), the
 * processes run as 65532 with fsGroup 65532 among their groups, and read their TLS key and API token (the kubelet
 * wrote both root-owned 0440, group 65532): the webhook answers over TLS, and /readyz needs the namespace list.
 * The API server calls the webhook through its Service (the configuration names a Service, no url): a pod created
 * in an annotated namespace is configured, one of the injector's pods logged that review, and the kubelet started
 * the pod's container with the injected environment.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewLines } from '../helpers/cluster-install.js';
import { CHART, helmAsync } from '../helpers/helm.js';
import { realPaths } from '../helpers/real-parts.js';
import { NODE_START_MS, NODE_STOP_MS, startNodeCluster, type NodeCluster } from '../harness/node/node-cluster.js';
import { IMAGE_REFS, haveNodeParts } from '../harness/node/parts.js';
import { containerPid, eventually, getPods, logs, processFacts, readyPods } from '../harness/node/pods.js';
import { manifestsWithCerts, render } from '../manifests/render.js';

const describeNode = describe.skipIf(!haveNodeParts('injectorImage', 'busyboxImage', 'helm'));

const NAMESPACE = 'aigw-otel-injector';
const SELECTOR = 'app.kubernetes.io/name=aigw-otel-injector';
const ENDPOINT = 'https://collector.observability:4317';
// Two replicas start, pass a startup probe (2 s period) and readiness (5 s period) on a loaded machine.
const READY_MS = 180_000;

interface Installer {
  readonly name: string;
  install(node: NodeCluster): Promise<void>;
  uninstall(node: NodeCluster): Promise<void>;
}

const helmInstall: Installer = {
  name: 'helm install',
  install: async (node) => {
    const r = await helmAsync(
      [
        ...['install', 'aigw-otel-injector', CHART, '--namespace', NAMESPACE, '--create-namespace'],
        ...['--kubeconfig', node.kubeconfigPath],
        ...['--set', 'image.repository=aigw-otel-injector', '--set', 'image.tag=dev'],
        ...['--set', 'image.pullPolicy=Never'],
      ],
      {},
      120_000,
    );
    if (r.status !== 0) throw new Error(`helm install: ${r.stderr}`);
  },
  uninstall: async (node) => {
    await helmAsync([
      'uninstall',
      'aigw-otel-injector',
      '--namespace',
      NAMESPACE,
      '--kubeconfig',
      node.kubeconfigPath,
      '--wait',
    ]);
  },
};

const kustomizeInstall: Installer = {
  name: 'kustomize static-certs',
  install: async (node) => {
    const { root } = manifestsWithCerts();
    const objects = render(join(root, 'manifests/overlays/static-certs'));
    for (const o of objects.filter((x) => x.kind === 'Deployment')) {
      // The only change: the image, local and never pulled.
      o.spec.template.spec.containers[0].image = 'aigw-otel-injector:dev';
      o.spec.template.spec.containers[0].imagePullPolicy = 'Never';
    }
    await node.kubectl(['apply', '--server-side', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    });
  },
  uninstall: async (node) => {
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      await node.kubectl(['delete', kind, 'aigw-otel-injector', '--ignore-not-found']);
    }
    await node.kubectl(['-n', NAMESPACE, 'delete', 'deployment', 'aigw-otel-injector', '--wait=true']);
  },
};

/** A pod the image rule would not pick (busybox) made a core by its role label, running until stopped. */
const targetPod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ai-gateway', labels: { 'aigw-otel.io/role': 'core' } },
  spec: {
    containers: [{ name: 'aigw', image: IMAGE_REFS.busybox, imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
  },
});

describeNode('install on a real node: the image, the kubelet, the Service', () => {
  let node: NodeCluster;
  beforeAll(async () => {
    node = await startNodeCluster({ images: [realPaths.injectorImage, realPaths.busyboxImage] });
    await node.kubectl(['create', 'namespace', 'ai-gateway']);
    await node.kubectl([
      ...['annotate', 'namespace', 'ai-gateway'],
      ...[`aigw-otel.io/endpoint=${ENDPOINT}`, 'aigw-otel.io/metric-export-interval=2s'],
    ]);
    await eventually(
      'ServiceAccount ai-gateway/default',
      async () =>
        (await node.kubectl(['-n', 'ai-gateway', 'get', 'sa', 'default'], { allowFailure: true })).code === 0 ||
        undefined,
      60_000,
    );
  }, NODE_START_MS);
  afterAll(() => node?.stop(), NODE_STOP_MS);

  it.each([helmInstall, kustomizeInstall])(
    '$name: ready through its probes, as 65532, called through the Service',
    async (installer) => {
      await installer.install(node);
      try {
        await installedAndCalled(node, installer.name);
      } finally {
        await installer.uninstall(node);
      }
      await eventually(
        'the injector pods gone',
        async () => ((await getPods(node, NAMESPACE, SELECTOR)).length === 0 ? true : undefined),
        READY_MS,
      );
    },
    // Install, two replicas Ready, a pod started, uninstall: each bounded above; the sum on a loaded machine.
    3 * READY_MS,
  );
});

async function installedAndCalled(node: NodeCluster, installerName: string): Promise<void> {
  const pods = await readyPods(node, NAMESPACE, SELECTOR, 2, READY_MS);
  expect(pods).toHaveLength(2);
  for (const pod of pods) {
    const status = pod.status.containerStatuses?.[0];
    expect(status).toMatchObject({ name: 'injector', ready: true, started: true, restartCount: 0 });
    const pid = await containerPid(node, pod, 'injector');
    const facts = processFacts(pid);
    expect(facts).toMatchObject({ uid: 65532, gid: 65532 });
    expect(facts.groups).toContain(65532);
    // The files it read, as the kubelet wrote them (seen through the container's root): the TLS key root-owned
    // with the volume's 0440 and group fsGroup; the projected token owned by runAsUser, 0640, group fsGroup.
    const file = (path: string) => {
      const st = statSync(`/proc/${pid}/root/${path}`);
      return { uid: st.uid, gid: st.gid, mode: (st.mode & 0o777).toString(8) };
    };
    expect(file('etc/aigw-otel-injector/tls/tls.key')).toEqual({ uid: 0, gid: 65532, mode: '440' });
    expect(file('var/run/secrets/kubernetes.io/serviceaccount/token')).toEqual({ uid: 65532, gid: 65532, mode: '640' });
  }

  const config = await node.getJson(['get', 'mutatingwebhookconfiguration', 'aigw-otel-injector']);
  for (const webhook of config.webhooks) {
    expect(webhook.clientConfig.url).toBeUndefined();
    expect(webhook.clientConfig.service).toMatchObject({ name: 'aigw-otel-injector', namespace: NAMESPACE });
  }

  // The API server's webhook configuration cache catches up within seconds: dry runs show when it calls ours.
  await eventually(
    'the webhook called through its Service',
    async () => {
      const dry = await node.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], {
        input: JSON.stringify(targetPod('probe')),
      });
      const stored = JSON.parse(dry.stdout) as { metadata: { annotations?: Record<string, string> } };
      return stored.metadata.annotations?.['aigw-otel.io/injected'] === 'core' || undefined;
    },
    60_000,
  );
  const name = `target-${installerName.split(' ')[0] ?? ''}`;
  await node.kubectl(['apply', '-f', '-'], { input: JSON.stringify(targetPod(name)) });
  const running = await eventually(
    `pod ${name} running`,
    async () => {
      const [p] = (await getPods(node, 'ai-gateway')).filter((x) => x.metadata.name === name);
      return p?.status.containerStatuses?.[0]?.state?.running ? p : undefined;
    },
    READY_MS,
  );
  // What the kubelet started: the container's process has the injected environment.
  const env = processFacts(await containerPid(node, running, 'aigw')).env;
  expect(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe(ENDPOINT);
  expect(env.OTEL_METRIC_EXPORT_INTERVAL).toBe('2000');
  expect(env.OTEL_RESOURCE_ATTRIBUTES).toContain(`k8s.pod.uid=${running.metadata.uid}`);
  // One of the injector's own pods answered that review.
  const answered = await Promise.all(pods.map(async (p) => reviewLines(await logs(node, NAMESPACE, p.metadata.name))));
  const review = answered.flat().find((r) => r.namespace === 'ai-gateway' && r.name === name);
  expect(review?.webhook).toBe('mutate-pods');
}
