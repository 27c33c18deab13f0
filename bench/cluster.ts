/**
 * What the webhook costs a user (issue 19 §4): the time a pod create takes through the real API server
 * (test/helpers/control-plane.ts) with our webhook registered, against the same API server with a do-nothing webhook
 * registered the same way (the same MutatingWebhookConfiguration, its url pointing elsewhere), and with none, at
 * steady rates, in one run. Our webhook runs as its own process (dist/main.js, cluster mode, as the manifests'
 * ServiceAccount, the Deployment's environment), as does the do-nothing one, so each one's CPU is its own.
 * Prints a markdown table for docs/benchmarks.md.
 *
 *   npm run build && tsc -p tsconfig.bench.json && node dist-bench/bench/cluster.js [--short]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { find } from '../test/manifests/render.js';
import { deploymentEnv, installInjector, type ClusterInstall } from '../test/helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../test/helpers/control-plane.js';
import { realVersions } from '../test/helpers/real-parts.js';
import { barePod, CORE_IMAGE, gatewayNamespace } from '../test/real-cluster/fixtures.js';
import { apiClient, connectionCounter, cpuSeconds, createsAtRate, type ApiClient } from './cluster-parts.js';
import { formatCluster, type ClusterRow } from './cluster-report.js';
import { freePort } from './free-port.js';

const SHORT = process.argv.includes('--short');
// The steady rates; the smoke proves the plumbing with the lower one only.
const RATES = SHORT ? [10] : [10, 50];
const DURATION_S = SHORT ? 5 : 60; // "for a minute or less"
const WARMUP_S = SHORT ? 1 : 5; // connections opened, JIT warm, on both sides: sent, not counted
const NS = 'bench';
// Server-side dry-run creates before each phase (every target alike): enough reviews for V8 to optimise the
// webhook's hot paths, which the few probes of registration are not.
const WARM_CREATES = SHORT ? 50 : 500;
const WARM_CONCURRENCY = 4; // a few at a time: warm, without a burst the API server would queue
const TARGETS = ['none', 'do-nothing', 'ours'] as const;
type Target = (typeof TARGETS)[number];

const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const podOf = (name: string) => barePod(name, NS, [{ name: 'aigw', image: CORE_IMAGE }]);

function start(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function until(check: () => Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not in ${ms} ms`);
    await sleep(100);
  }
}

interface DeploymentEnv {
  spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
}
interface WebhookConfiguration {
  metadata: { name: string };
  webhooks: { clientConfig: Record<string, unknown> }[];
}
interface StoredPod {
  metadata: { name: string; annotations?: Record<string, string> };
}

interface Webhooks {
  readonly ours: { pid: number; port: number; reviews: () => Promise<number> };
  readonly noop: { pid: number; port: number; reviews: () => Promise<number> };
}

async function startWebhooks(install: ClusterInstall): Promise<Webhooks> {
  const [adminPort, noopPort, countPort] = [await freePort(), await freePort(), await freePort()];
  const deployment = find(install.objects, 'Deployment', 'aigw-otel-injector') as unknown as DeploymentEnv;
  const nodeOptions = deployment.spec.template.spec.containers[0]?.env.find((e) => e.name === 'NODE_OPTIONS');
  const ours = start(['dist/main.js'], {
    ...deploymentEnv(install.objects),
    NODE_OPTIONS: nodeOptions?.value ?? '',
    HOSTNAME: 'aigw-otel-injector-bench-0',
    PORT: String(install.webhookPort),
    ADMIN_PORT: String(adminPort),
    TLS_CERT_FILE: install.tls.certFile,
    TLS_KEY_FILE: install.tls.keyFile,
    KUBECONFIG: install.serviceAccount.path,
  });
  const noop = start(
    [
      'dist-bench/bench/cluster-noop-webhook.js',
      install.tls.certFile,
      install.tls.keyFile,
      String(noopPort),
      String(countPort),
    ],
    {},
  );
  const admin = `http://127.0.0.1:${adminPort}`;
  await until(async () => (await fetch(`${admin}/readyz`)).ok, 'our webhook ready');
  const oursReviews = async () =>
    (await (await fetch(`${admin}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('aigw_otel_injector_reviews_total{') && l.includes('webhook="mutate-pods"'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  const noopReviews = async () => Number(await (await fetch(`http://127.0.0.1:${countPort}/`)).text());
  await until(async () => (await noopReviews()) === 0, 'do-nothing webhook ready');
  return {
    ours: { pid: ours.pid ?? 0, port: install.webhookPort, reviews: oursReviews },
    noop: { pid: noop.pid ?? 0, port: noopPort, reviews: noopReviews },
  };
}

/** Registers the target and waits until server-side dry-run creates reach it, and only it. */
async function register(cp: ControlPlane, install: ClusterInstall, api: ApiClient, hooks: Webhooks, target: Target) {
  const ours = find(install.objects, 'MutatingWebhookConfiguration') as unknown as WebhookConfiguration;
  const url = (port: number) => `https://127.0.0.1:${port}/mutate-pods`;
  const pointed = (port: number) => ({
    ...ours,
    webhooks: ours.webhooks.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, url: url(port) } })),
  });
  if (target === 'none')
    await cp.kubectl(['delete', 'mutatingwebhookconfiguration', ours.metadata.name, '--ignore-not-found']);
  else {
    const config = pointed(target === 'ours' ? hooks.ours.port : hooks.noop.port);
    await cp.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=aigw-test', '-f', '-'], {
      input: JSON.stringify(config),
    });
  }
  let quiet = 0;
  await until(async () => {
    const before = [await hooks.ours.reviews(), await hooks.noop.reviews()];
    await api.call('POST', `/api/v1/namespaces/${NS}/pods?dryRun=All`, podOf(`probe-${Date.now()}`));
    const [o, n] = [(await hooks.ours.reviews()) - before[0]!, (await hooks.noop.reviews()) - before[1]!];
    if (target === 'ours') return o > 0 && n === 0;
    if (target === 'do-nothing') return n > 0 && o === 0;
    // The API server's webhook informer may lag: three dry runs in a row that reach neither.
    quiet = o === 0 && n === 0 ? quiet + 1 : 0;
    return quiet >= 3;
  }, `${target} registered`);
}

async function warm(api: ApiClient): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < WARM_CREATES)
      await api.call('POST', `/api/v1/namespaces/${NS}/pods?dryRun=All`, podOf(`warm-${next++}`));
  };
  await Promise.all(Array.from({ length: WARM_CONCURRENCY }, worker));
}

async function measure(api: ApiClient, hooks: Webhooks, target: Target, rate: number): Promise<ClusterRow> {
  await warm(api);
  const hook = target === 'ours' ? hooks.ours : target === 'do-nothing' ? hooks.noop : undefined;
  const connections = hook && connectionCounter(hook.port);
  const cpuBefore = hook ? cpuSeconds(hook.pid) : 0;
  const prefix = `${target}-${rate}`;
  const result = await createsAtRate(api, NS, podOf, { rate, durationS: DURATION_S, warmupS: WARMUP_S, prefix });
  const cpu = hook ? cpuSeconds(hook.pid) - cpuBefore : undefined;
  const list = JSON.parse((await api.call('GET', `/api/v1/namespaces/${NS}/pods`)).text) as { items: StoredPod[] };
  const mine = list.items.filter((p) => p.metadata.name.startsWith(`${prefix}-`));
  const configured = mine.filter((p) => p.metadata.annotations?.['aigw-otel.io/injected'] !== undefined).length;
  // Unscheduled pods go at once: each phase starts from the same store.
  await api.call('DELETE', `/api/v1/namespaces/${NS}/pods`);
  const total = mine.length;
  return { rate, target, ...result, stored: total, configured, connections: connections?.stop(), cpuSeconds: cpu };
}

async function main(): Promise<void> {
  const cp = await startControlPlane({ controllers: ['serviceaccount-controller'] });
  let api: ApiClient | undefined;
  try {
    const install = await installInjector(cp);
    const hooks = await startWebhooks(install);
    await gatewayNamespace(cp, NS);
    api = apiClient(cp.server, cp.kubeconfigPath);
    const rows: ClusterRow[] = [];
    for (const rate of RATES) {
      for (const target of TARGETS) {
        await register(cp, install, api, hooks, target);
        process.stderr.write(`${target} at ${rate}/s for ${DURATION_S} s…\n`);
        rows.push(await measure(api, hooks, target, rate));
      }
    }
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}`;
    process.stdout.write(
      formatCluster(rows, { machine, node: process.version, kube: realVersions.KUBE_VERSION, durationS: DURATION_S }),
    );
  } finally {
    api?.close();
    for (const child of children) child.kill('SIGTERM');
    await cp.stop();
  }
}

await main();
