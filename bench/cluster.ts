/**
 * What the webhook costs a user (issue 19 §4, issue 27): the time a pod create takes through the real API server
 * (test/helpers/control-plane.ts) with our webhook registered, against the same API server with a do-nothing webhook
 * registered the same way (the same MutatingWebhookConfiguration, its url pointing elsewhere), and with none, at
 * steady rates, in one run; and what each webhook costs in CPU, per review and idle. Our webhook runs as its own
 * process (dist/main.js, cluster mode, as the manifests' ServiceAccount, the Deployment's environment), as does the
 * do-nothing one, so each one's CPU is its own. Prints markdown tables for docs/benchmarks.md.
 *
 *   npm run build && tsc -p tsconfig.bench.json && node dist-bench/bench/cluster.js [--short] [options]
 *
 *   --variant 'name=path/to/dist'        another build of ours, registered and measured like ours (e.g. before a
 *                                         change); `name=path|NODE_OPTIONS` also sets its NODE_OPTIONS
 *   --idle <s>                           first, every webhook idle (the namespace watch open) for <s> s
 *   --profile                            ours and the variants under `node --cpu-prof` (sampling every 5 ms): where
 *                                         their CPU goes while idle and at each rate (the profiler's own cost shows in
 *                                         their CPU: take the CPU figures from a run without it)
 *   --duration <s>                       seconds per row (60; --short: 5)
 *   --no-node                            without the rows on the real node (bench/cluster-node.ts: root, the node's
 *                                         parts built; it takes the machine's node lock)
 *   --node-only                          only the rows on the real node
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { find } from '../test/manifests/render.js';
import { spawnTied } from '../test/harness/process/spawn.js';
import { deploymentEnv, installInjector, type ClusterInstall } from '../test/helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../test/helpers/control-plane.js';
import { realVersions } from '../test/helpers/real-parts.js';
import { barePod, CORE_IMAGE, gatewayNamespace } from '../test/real-cluster/fixtures.js';
import {
  apiClient,
  connectionCounter,
  cpuSeconds,
  createsAtRate,
  podReviewsIn,
  until,
  untilOnlyReached,
  warmUp,
  type ApiClient,
} from './cluster-parts.js';
import { formatCluster, type ClusterRow } from './cluster-report.js';
import { freePort } from './free-port.js';
import { nodeRows } from './cluster-node.js';
import { idleTable } from './idle.js';
import { measureWindow } from './proc-cpu.js';
import { contributorTable, windowContributors, type Window } from './profile-windows.js';

const SHORT = process.argv.includes('--short');
const PROFILE = process.argv.includes('--profile');
const NODE_ONLY = process.argv.includes('--node-only');
const NODE_ROWS = NODE_ONLY || !process.argv.includes('--no-node');
const option = (flag: string) => process.argv.slice(2).flatMap((a, i, all) => (a === flag ? [all[i + 1] ?? ''] : []));
// The steady rates; the smoke proves the plumbing with the lower one only.
const RATES = SHORT ? [10] : [10, 50];
const DURATION_S = Number(option('--duration')[0] ?? (SHORT ? 5 : 60)); // "for a minute or less"
const IDLE_S = Number(option('--idle')[0] ?? 0);
// After the webhooks start, before an idle window: V8's memory reducer collects the start-up's garbage ~20 s in.
const IDLE_SETTLE_S = 40;
const WARMUP_S = SHORT ? 1 : 5; // connections opened, JIT warm, on both sides: sent, not counted
const NS = 'bench';
// Server-side dry-run creates before each phase (every target alike): enough reviews for V8 to optimise the
// webhook's hot paths, which the few probes of registration are not.
const WARM_CREATES = SHORT ? 50 : 500;
const VARIANTS = option('--variant').map((v) => {
  const [name = '', rest = ''] = v.split(/=(.*)/s);
  const [dist = 'dist', nodeOptions] = rest.split('|');
  return { name, dist: resolve(dist), nodeOptions };
});
const TARGETS = ['none', 'do-nothing', 'ours', ...VARIANTS.map((v) => v.name)];
type Target = string;

const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const podOf = (name: string) => barePod(name, NS, [{ name: 'aigw', image: CORE_IMAGE }]);
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
// V8's default 1 ms sampling wakes the main thread 1,000 times a second, far above what is measured here.
const PROFILE_INTERVAL_US = 5000;

function start(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawnTied(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
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

interface Hook {
  readonly pid: number;
  readonly port: number;
  readonly reviews: () => Promise<number>;
  readonly child: ChildProcess;
  /** Where its `--cpu-prof` profile goes, when profiled. */
  readonly profileDir?: string;
}
/** Every webhook by target name: `do-nothing`, `ours` and the variants. */
type Webhooks = Map<Target, Hook>;
type Windows = Map<Target, Window[]>;

async function startOurs(
  install: ClusterInstall,
  build: { name: string; dist: string; nodeOptions?: string },
  port: number,
  profile: boolean,
): Promise<Hook> {
  const profileDir = profile ? mkdtempSync(join(tmpdir(), 'aigw-cluster-prof-')) : undefined;
  const adminPort = await freePort();
  const deployment = find(install.objects, 'Deployment', 'aigw-otel-injector') as unknown as DeploymentEnv;
  const shipped = deployment.spec.template.spec.containers[0]?.env.find((e) => e.name === 'NODE_OPTIONS');
  const profiling =
    profileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-interval=${PROFILE_INTERVAL_US}`];
  const child = start([...profiling, join(build.dist, 'main.js')], {
    ...deploymentEnv(install.objects),
    NODE_OPTIONS: build.nodeOptions ?? shipped?.value ?? '',
    HOSTNAME: `aigw-otel-injector-bench-${build.name.replace(/[^a-z0-9]+/g, '-')}`,
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    TLS_CERT_FILE: install.tls.certFile,
    TLS_KEY_FILE: install.tls.keyFile,
    // No collector probe: it would resolve the fixtures' Collector host names through the machine's DNS server
    // (benchmarks send traffic to loopback only); it runs once per 5 minutes, nothing a benchmark window would see.
    COLLECTOR_PROBE: 'false',
    KUBECONFIG: install.serviceAccount.path,
  });
  const admin = `http://127.0.0.1:${adminPort}`;
  await until(async () => (await fetch(`${admin}/readyz`)).ok, `${build.name} ready`);
  const reviews = async () => podReviewsIn(await (await fetch(`${admin}/metrics`)).text());
  return { pid: child.pid ?? 0, port, reviews, child, profileDir };
}

async function startWebhooks(install: ClusterInstall): Promise<Webhooks> {
  const [noopPort, countPort] = [await freePort(), await freePort()];
  const hooks: Webhooks = new Map();
  const ours = { name: 'ours', dist: resolve('dist') };
  hooks.set('ours', await startOurs(install, ours, install.webhookPort, PROFILE));
  for (const v of VARIANTS) hooks.set(v.name, await startOurs(install, v, await freePort(), PROFILE));
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
  const noopReviews = async () => Number(await (await fetch(`http://127.0.0.1:${countPort}/`)).text());
  await until(async () => (await noopReviews()) === 0, 'do-nothing webhook ready');
  hooks.set('do-nothing', { pid: noop.pid ?? 0, port: noopPort, reviews: noopReviews, child: noop });
  return hooks;
}

/** Registers the target and waits until server-side dry-run creates reach it, and only it. */
async function register(cp: ControlPlane, install: ClusterInstall, api: ApiClient, hooks: Webhooks, target: Target) {
  const ours = find(install.objects, 'MutatingWebhookConfiguration') as unknown as WebhookConfiguration;
  const url = (port: number) => `https://127.0.0.1:${port}/mutate-pods`;
  const pointed = (port: number) => ({
    ...ours,
    webhooks: ours.webhooks.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, url: url(port) } })),
  });
  const hook = hooks.get(target);
  if (hook === undefined)
    await cp.kubectl(['delete', 'mutatingwebhookconfiguration', ours.metadata.name, '--ignore-not-found']);
  else {
    await cp.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=aigw-test', '-f', '-'], {
      input: JSON.stringify(pointed(hook.port)),
    });
  }
  await untilOnlyReached(api, { namespace: NS, podOf }, hooks, hook === undefined ? undefined : target);
}

async function measure(api: ApiClient, hooks: Webhooks, target: Target, rate: number, windows: Windows) {
  await warmUp(api, NS, podOf, WARM_CREATES);
  const hook = hooks.get(target);
  const connections = hook && connectionCounter(hook.port);
  const reviewsBefore = hook ? await hook.reviews() : 0;
  const cpuBefore = hook ? cpuSeconds(hook.pid) : 0;
  const fromUs = monotonicUs();
  const prefix = `${target}-${rate}`.replace(/[^a-z0-9-]+/g, '-');
  const result = await createsAtRate(api, NS, podOf, { rate, durationS: DURATION_S, warmupS: WARMUP_S, prefix });
  const cpu = hook ? cpuSeconds(hook.pid) - cpuBefore : undefined;
  windows.get(target)?.push({ name: `${rate} reviews/s`, fromUs, toUs: monotonicUs() });
  const reviews = hook ? (await hook.reviews()) - reviewsBefore : undefined;
  const list = JSON.parse((await api.call('GET', `/api/v1/namespaces/${NS}/pods`)).text) as { items: StoredPod[] };
  const mine = list.items.filter((p) => p.metadata.name.startsWith(`${prefix}-`));
  const configured = mine.filter((p) => p.metadata.annotations?.['aigw-otel.io/injected'] !== undefined).length;
  // Unscheduled pods go at once: each phase starts from the same store.
  await api.call('DELETE', `/api/v1/namespaces/${NS}/pods`);
  const total = mine.length;
  return {
    rate,
    target,
    ...result,
    stored: total,
    configured,
    connections: connections?.stop(),
    cpuSeconds: cpu,
    reviews,
  } satisfies ClusterRow;
}

/** Every webhook idle at once, the namespace watch open: CPU per second and wake-ups, do-nothing as the floor. */
async function idle(hooks: Webhooks, windows: Windows): Promise<string> {
  await sleep(IDLE_SETTLE_S * 1000);
  const order = ['do-nothing', ...[...hooks.keys()].filter((n) => n !== 'do-nothing')];
  const fromUs = monotonicUs();
  const rows = await measureWindow(
    order.map((name) => ({ name, pid: hooks.get(name)!.pid })),
    IDLE_S,
  );
  for (const list of windows.values()) list.push({ name: 'idle', fromUs, toUs: monotonicUs() });
  return `Idle, every webhook at once for ${IDLE_S} s (${IDLE_SETTLE_S} s after start), the namespace watch open:\n\n${idleTable(rows)}\n\n`;
}

async function main(): Promise<void> {
  const cp = await startControlPlane({ controllers: ['serviceaccount-controller'] });
  let api: ApiClient | undefined;
  let hooks: Webhooks | undefined;
  // Each profiled webhook's windows of wall time: the idle one, and its own row at each rate.
  const windows: Windows = new Map(['ours', ...VARIANTS.map((v) => v.name)].map((t) => [t, []]));
  try {
    const install = await installInjector(cp);
    hooks = await startWebhooks(install);
    await gatewayNamespace(cp, NS);
    api = apiClient(cp.server, cp.kubeconfigPath);
    if (IDLE_S > 0) process.stdout.write(await idle(hooks, windows));
    const rows: ClusterRow[] = [];
    for (const rate of RATES) {
      for (const target of TARGETS) {
        await register(cp, install, api, hooks, target);
        process.stderr.write(`${target} at ${rate}/s for ${DURATION_S} s…\n`);
        rows.push(await measure(api, hooks, target, rate, windows));
      }
    }
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}`;
    process.stdout.write(
      formatCluster(rows, { machine, node: process.version, kube: realVersions.KUBE_VERSION, durationS: DURATION_S }),
    );
  } finally {
    api?.close();
    // A profile is written as the process exits: wait for every webhook to.
    const exits = children.filter((c) => c.exitCode === null).map((c) => new Promise((r) => c.once('exit', r)));
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(exits);
    await cp.stop();
  }
  for (const [target, hook] of hooks ?? []) {
    if (hook.profileDir === undefined) continue;
    const file = readdirSync(hook.profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`${target}: no profile written`);
    const table = contributorTable(windowContributors(join(hook.profileDir, file), windows.get(target) ?? []));
    process.stdout.write(`\nWhere ${target}'s CPU went (profiled):\n\n${table}\n`);
  }
}

/** The same rows on the real node, each webhook reached through its Service (bench/cluster-node.ts). */
async function onTheNode(): Promise<void> {
  const rows = await nodeRows(
    { rates: RATES, durationS: DURATION_S, warmupS: WARMUP_S, warmCreates: WARM_CREATES },
    (line) => process.stderr.write(`${line}\n`),
  );
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}`;
  const where = 'on the real node, each webhook reached through its Service by its two pods';
  process.stdout.write(
    `\n${formatCluster(rows, { machine, node: process.version, kube: realVersions.KUBE_VERSION, durationS: DURATION_S, where })}`,
  );
}

if (!NODE_ONLY) await main();
if (NODE_ROWS) await onTheNode();
