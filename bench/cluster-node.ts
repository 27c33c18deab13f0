/**
 * The rows of `npm run bench:cluster` on the real node (issue 25 §6): pod creates whose webhook call goes from
 * kube-apiserver through the webhook's Service (kube-proxy's iptables rules, the CNI bridge) to the webhook's pods
 * that the real kubelet runs in containerd. Ours is the chart, installed with `helm install` (image values only);
 * the do-nothing webhook is deployed the same way: the same image, pod and container security context, resources
 * and NODE_OPTIONS, two replicas behind a Service of its own, registered by a copy of the chart's
 * MutatingWebhookConfiguration that names its Service (and its CA) instead. One configuration at a time.
 *
 * The do-nothing server is bench/cluster-noop-webhook.ts, compiled, handed to its pods in a ConfigMap and run by the
 * image's own node. The created pods carry a scheduling gate: stored like any pod, never scheduled or started (50
 * creates/s would otherwise be 50 container starts a second on the node under test).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INJECTOR_NAMESPACE, INJECTOR_SELECTOR, installInjector } from '../test/harness/node/injector.js';
import { startNodeCluster, type NodeCluster } from '../test/harness/node/node-cluster.js';
import { containerPid, readyPods, type PodJson } from '../test/harness/node/pods.js';
import { realPaths } from '../test/helpers/real-parts.js';
import { barePod, CORE_IMAGE, gatewayNamespace } from '../test/real-cluster/fixtures.js';
import {
  apiClient,
  cpuSeconds,
  createsAtRate,
  podReviewsIn,
  untilOnlyReached,
  warmUp,
  type ApiClient,
} from './cluster-parts.js';
import type { ClusterRow } from './cluster-report.js';

const NS = 'bench-node';
const NOOP = 'aigw-noop';
const NOOP_SELECTOR = `app=${NOOP}`;
const NOOP_PORT = 8443; // the chart's webhook port, so the two Services look alike
const NOOP_COUNT_PORT = 9101; // the do-nothing server's plain-HTTP review count (the chart's admin port is 9090)
const ADMIN_PORT = 9090; // the chart's metrics port: our reviews, counted by the injector itself
const INJECTOR_CONTAINER = 'injector'; // the chart Deployment's container
// Two replicas start on a loaded two-core machine (image already imported).
const READY_MS = 180_000;

export interface NodeRowsOptions {
  readonly rates: readonly number[];
  readonly durationS: number;
  readonly warmupS: number;
  readonly warmCreates: number;
}

type Target = 'none' | 'do-nothing' | 'ours';
const TARGETS: readonly Target[] = ['none', 'do-nothing', 'ours'];

interface WebhookConfiguration {
  metadata: Record<string, unknown> & { name: string };
  webhooks: { clientConfig: { service?: { name: string; namespace: string }; caBundle?: string } }[];
}

/** What the do-nothing Deployment copies from the chart's. */
interface ChartDeployment {
  spec: {
    replicas: number;
    template: {
      spec: {
        securityContext?: object;
        containers: {
          image: string;
          imagePullPolicy?: string;
          env?: { name: string; value?: string }[];
          resources?: object;
          securityContext?: object;
        }[];
        volumes: { name: string; secret?: { secretName: string } }[];
      };
    };
  };
}

interface Hook {
  readonly pods: readonly PodJson[];
  readonly pids: readonly number[];
  reviews(): Promise<number>;
}

const podOf = (name: string) => {
  const pod = barePod(name, NS, [{ name: 'aigw', image: CORE_IMAGE }]);
  return { ...pod, spec: { ...pod.spec, schedulingGates: [{ name: 'aigw.test/bench' }] } };
};

const reviewsOver = async (pods: readonly PodJson[], read: (ip: string) => Promise<number>) =>
  (await Promise.all(pods.map((p) => read(p.status.podIP ?? '')))).reduce((a, b) => a + b, 0);

const oursAt = async (ip: string) => podReviewsIn(await (await fetch(`http://${ip}:${ADMIN_PORT}/metrics`)).text());
const noopAt = async (ip: string) => Number(await (await fetch(`http://${ip}:${NOOP_COUNT_PORT}/`)).text());

async function hookOf(node: NodeCluster, selector: string, container: string, read: (ip: string) => Promise<number>) {
  const pods = await readyPods(node, INJECTOR_NAMESPACE, selector, 2, READY_MS);
  const pids = await Promise.all(pods.map((p) => containerPid(node, p, container)));
  return { pods, pids, reviews: () => reviewsOver(pods, read) } satisfies Hook;
}

/** The chart's MutatingWebhookConfiguration as applied, without the fields the API server sets. */
async function chartConfiguration(node: NodeCluster): Promise<WebhookConfiguration> {
  const list = await node.getJson<{ items: WebhookConfiguration[] }>(['get', 'mutatingwebhookconfigurations']);
  const ours = list.items.find((c) => c.webhooks.some((w) => w.clientConfig.service?.namespace === INJECTOR_NAMESPACE));
  if (ours === undefined) throw new Error('the chart made no MutatingWebhookConfiguration');
  const { name, labels } = ours.metadata;
  return { ...ours, metadata: { name, ...(labels === undefined ? {} : { labels }) } };
}

/** The do-nothing Deployment: the chart's pod and container settings, the do-nothing server as the command. */
function noopDeployment(chart: ChartDeployment) {
  const podSpec = chart.spec.template.spec;
  const container = podSpec.containers[0];
  const tlsVolume = podSpec.volumes.find((v) => v.secret !== undefined);
  if (container === undefined || tlsVolume?.secret === undefined)
    throw new Error("the chart's Deployment has no container or no TLS volume");
  const labels = { app: NOOP };
  const server = ['/noop/cluster-noop-webhook.js', '/tls/tls.crt', '/tls/tls.key'];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: NOOP, namespace: INJECTOR_NAMESPACE, labels },
    spec: {
      replicas: chart.spec.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          securityContext: podSpec.securityContext,
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'noop',
              image: container.image,
              imagePullPolicy: container.imagePullPolicy,
              args: [...server, String(NOOP_PORT), String(NOOP_COUNT_PORT), '0.0.0.0'],
              env: (container.env ?? []).filter((e) => e.name === 'NODE_OPTIONS'),
              resources: container.resources,
              securityContext: container.securityContext,
              ports: [{ name: 'https', containerPort: NOOP_PORT }],
              readinessProbe: { tcpSocket: { port: NOOP_PORT }, periodSeconds: 2 },
              volumeMounts: [
                { name: 'tls', mountPath: '/tls', readOnly: true },
                { name: 'code', mountPath: '/noop', readOnly: true },
              ],
            },
          ],
          volumes: [
            { ...tlsVolume, name: 'tls', secret: { ...tlsVolume.secret, secretName: `${NOOP}-tls` } },
            { name: 'code', configMap: { name: `${NOOP}-code` } },
          ],
        },
      },
    },
  };
}

/** The do-nothing webhook beside ours: its certificate, code, Deployment (from ours) and Service; its configuration. */
async function deployNoop(node: NodeCluster, chart: WebhookConfiguration): Promise<WebhookConfiguration> {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-noop-'));
  execFileSync('bash', [
    'certs/generate.sh',
    '--service',
    NOOP,
    '--namespace',
    INJECTOR_NAMESPACE,
    '--out',
    dir,
    '--quiet',
  ]);
  const read = (f: string) => readFileSync(f, 'utf8');
  const args = ['-n', INJECTOR_NAMESPACE, 'get', 'deployment', '-l', INJECTOR_SELECTOR];
  const [deployment] = (await node.getJson<{ items: ChartDeployment[] }>(args)).items;
  if (deployment === undefined) throw new Error("the chart's Deployment is missing");
  const objects = [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${NOOP}-tls`, namespace: INJECTOR_NAMESPACE },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': read(join(dir, 'tls.crt')), 'tls.key': read(join(dir, 'tls.key')) },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${NOOP}-code`, namespace: INJECTOR_NAMESPACE },
      data: {
        'package.json': '{ "type": "module" }\n',
        'cluster-noop-webhook.js': read('dist-bench/bench/cluster-noop-webhook.js'),
        'allow-all-server.js': read('dist-bench/bench/allow-all-server.js'),
      },
    },
    noopDeployment(deployment),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: NOOP, namespace: INJECTOR_NAMESPACE },
      spec: { selector: { app: NOOP }, ports: [{ name: 'https', port: 443, targetPort: NOOP_PORT }] },
    },
  ];
  await node.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  const caBundle = Buffer.from(read(join(dir, 'ca.crt'))).toString('base64');
  return {
    ...chart,
    metadata: { name: NOOP },
    webhooks: chart.webhooks.map((w) => ({
      ...w,
      clientConfig: { service: { ...w.clientConfig.service!, name: NOOP }, caBundle },
    })),
  };
}

/** Leaves only the target's configuration in place and waits until dry-run creates reach it, and only it. */
async function register(
  node: NodeCluster,
  api: ApiClient,
  hooks: Map<Target, Hook>,
  configurations: Map<Target, WebhookConfiguration>,
  target: Target,
) {
  for (const [name, configuration] of configurations) {
    if (name === target) {
      await node.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=aigw-bench', '-f', '-'], {
        input: JSON.stringify(configuration),
      });
    } else {
      await node.kubectl(['delete', 'mutatingwebhookconfiguration', configuration.metadata.name, '--ignore-not-found']);
    }
  }
  // The node's Service endpoints and kube-proxy's rules may take longer than a loopback url.
  await untilOnlyReached(api, { namespace: NS, podOf }, hooks, target === 'none' ? undefined : target, 120_000);
}

async function measure(api: ApiClient, hook: Hook | undefined, target: Target, rate: number, o: NodeRowsOptions) {
  await warmUp(api, NS, podOf, o.warmCreates);
  const cpu = () => hook?.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const [cpuBefore, reviewsBefore] = [cpu(), await hook?.reviews()];
  const prefix = `node-${target}-${rate}`;
  const result = await createsAtRate(api, NS, podOf, {
    rate,
    durationS: o.durationS,
    warmupS: o.warmupS,
    prefix,
  });
  const [cpuAfter, reviewsAfter] = [cpu(), await hook?.reviews()];
  const list = JSON.parse((await api.call('GET', `/api/v1/namespaces/${NS}/pods`)).text) as {
    items: { metadata: { name: string; annotations?: Record<string, string> } }[];
  };
  const mine = list.items.filter((p) => p.metadata.name.startsWith(`${prefix}-`));
  const configured = mine.filter((p) => p.metadata.annotations?.['aigw-otel.io/injected'] !== undefined).length;
  // Gated pods were never bound to the node: deleted at once, each row starts from the same store.
  await api.call('DELETE', `/api/v1/namespaces/${NS}/pods`);
  return {
    rate,
    target,
    ...result,
    stored: mine.length,
    configured,
    // The API server reaches the pods through the ClusterIP: counting its connections would need the pods' netns.
    connections: undefined,
    cpuSeconds: cpuAfter === undefined || cpuBefore === undefined ? undefined : cpuAfter - cpuBefore,
    reviews: reviewsAfter === undefined || reviewsBefore === undefined ? undefined : reviewsAfter - reviewsBefore,
  } satisfies ClusterRow;
}

/** Starts the real node, installs both webhooks, and measures none, do-nothing and ours at each rate. */
export async function nodeRows(o: NodeRowsOptions, log: (line: string) => void): Promise<ClusterRow[]> {
  const node = await startNodeCluster({ images: [realPaths.injectorImage] });
  let api: ApiClient | undefined;
  try {
    log(`node Ready in ${(node.nodeStartupMs / 1000).toFixed(0)} s; installing the chart and the do-nothing webhook…`);
    await gatewayNamespace(node, NS);
    await installInjector(node, NS);
    const chart = await chartConfiguration(node);
    const noopConfiguration = await deployNoop(node, chart);
    const hooks = new Map<Target, Hook>([
      ['ours', await hookOf(node, INJECTOR_SELECTOR, INJECTOR_CONTAINER, oursAt)],
      ['do-nothing', await hookOf(node, NOOP_SELECTOR, 'noop', noopAt)],
    ]);
    const configurations = new Map<Target, WebhookConfiguration>([
      ['ours', chart],
      ['do-nothing', noopConfiguration],
    ]);
    api = apiClient(node.server, node.kubeconfigPath);
    const rows: ClusterRow[] = [];
    for (const rate of o.rates) {
      for (const target of TARGETS) {
        await register(node, api, hooks, configurations, target);
        log(`node: ${target} at ${rate}/s for ${o.durationS} s…`);
        rows.push(await measure(api, hooks.get(target), target, rate, o));
      }
    }
    return rows;
  } finally {
    api?.close();
    await node.stop();
  }
}
