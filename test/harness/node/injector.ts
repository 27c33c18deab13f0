/**
 * The injector installed on the real node as users install it: `helm install` of the chart with only `image.*`
 * changed (the image imported from test/real/parts/60-image.sh, never pulled), waiting for its replicas to be
 * Ready and for the API server to call it through its Service.
 */
import { CHART, helmAsync } from '../../helpers/helm.js';
import type { NodeCluster } from './node-cluster.js';
import { eventually, readyPods } from './pods.js';

export const INJECTOR_NAMESPACE = 'aigw-otel-injector';
export const INJECTOR_SELECTOR = 'app.kubernetes.io/name=aigw-otel-injector';
// Two replicas start and pass their startup and readiness probes on a loaded machine.
export const INJECTOR_READY_MS = 180_000;

/** The chart's values for the local image: the only ones the tests change (plus `sets`). */
export const IMAGE_SETS = ['image.repository=aigw-otel-injector', 'image.tag=dev', 'image.pullPolicy=Never'];

/** `helm <verb> aigw-otel-injector <chart>` against the node with the image values and `sets`. */
export async function helmInjector(node: NodeCluster, verb: 'install' | 'upgrade', sets: readonly string[] = []) {
  const r = await helmAsync(
    [
      ...[verb, 'aigw-otel-injector', CHART, '--namespace', INJECTOR_NAMESPACE, '--kubeconfig', node.kubeconfigPath],
      ...(verb === 'install' ? ['--create-namespace'] : ['--reuse-values']),
      ...[...IMAGE_SETS, ...sets].flatMap((s) => ['--set', s]),
    ],
    {},
    120_000,
  );
  if (r.status !== 0) throw new Error(`helm ${verb}: ${r.stderr}`);
}

/** Installs the chart and waits until both replicas are Ready and a server-side dry run in `namespace` is configured. */
export async function installInjector(node: NodeCluster, probeNamespace: string, sets: readonly string[] = []) {
  await helmInjector(node, 'install', sets);
  await readyPods(node, INJECTOR_NAMESPACE, INJECTOR_SELECTOR, 2, INJECTOR_READY_MS);
  await webhookLive(node, probeNamespace);
}

/** Resolves once the API server calls the webhook for pods in `namespace` (its configuration cache caught up). */
export async function webhookLive(node: NodeCluster, namespace: string): Promise<void> {
  const probe = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'webhook-probe', namespace, labels: { 'aigw-otel.io/role': 'core' } },
    spec: { containers: [{ name: 'c', image: 'aigw.test/probe:1' }] },
  };
  await eventually(
    'the webhook called through its Service',
    async () => {
      const dry = await node.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], {
        input: JSON.stringify(probe),
      });
      const stored = JSON.parse(dry.stdout) as { metadata: { annotations?: Record<string, string> } };
      return stored.metadata.annotations?.['aigw-otel.io/injected'] !== undefined || undefined;
    },
    60_000,
  );
}
