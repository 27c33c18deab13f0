/**
 * `npm run bench`: the webhook against the floor (a bare Node https server), in the same run, from a separate
 * load process over keep-alive HTTPS; then the cluster-mode scale test with 10,000 namespaces served by the
 * stand-in API server. Writes docs/benchmarks.json and docs/benchmarks.md. `--smoke`: a few seconds, no files,
 * exit 1 if the webhook stops answering correctly under load.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { spawnTied } from '../test/harness/process/spawn.js';
import { StandInApiServer } from '../test/helpers/stand-in-apiserver.js';
import { measureIdle, startIdleTargets } from './idle.js';
import type { LoadResult, LoadSpec } from './load.js';
import { freePort as port } from './free-port.js';
import { writeReport, type Report } from './report.js';
import { coreReview8k } from './review-8k.js';
import { container, pod, review } from '../test/fixtures/pods.js';

const SMOKE = process.argv.includes('--smoke');
// Long enough for a steady state on a noisy 2-core machine; the smoke only proves correctness under load.
const DURATION_S = SMOKE ? 3 : 10;
// Each pair of runs alternates webhook and floor, so drift on the machine hits both alike.
const ROUNDS = SMOKE ? 1 : 3;
const CONNECTIONS = 16;
const FIXED_RATE = 1000;
const SCALE_NAMESPACES = 10_000;
// Issue 27's idle window; the smoke only proves the idle row still runs.
const IDLE_S = SMOKE ? 2 : 60;
const IDLE_SETTLE_S = SMOKE ? 0 : 40; // past the start-up's own GCs (bench/idle.ts)

const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-'));
const children: ChildProcess[] = [];
const node = process.execPath;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawnTied(node, args, {
    env: { ...process.env, NODE_OPTIONS: deploymentNodeOptions(), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function until(check: () => Promise<boolean>, ms = 30_000): Promise<number> {
  const started = performance.now();
  while (!(await check().catch(() => false))) {
    if (performance.now() - started > ms) throw new Error('not ready in time');
    await sleep(10);
  }
  return performance.now() - started;
}

const httpOk = (url: string) => fetch(url).then((r) => r.ok);

function post(url: string, body: string, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function load(spec: LoadSpec): LoadResult {
  // At a fixed rate, an open-loop client of our own; flat out, autocannon.
  const script = spec.rate === undefined ? 'dist-bench/bench/load.js' : 'dist-bench/bench/fixed-rate.js';
  const out = execFileSync(node, [script, JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadResult;
}

/** The server runs with the Deployment's own NODE_OPTIONS, so what is measured is what is shipped. */
function deploymentNodeOptions(): string {
  const text = readFileSync('manifests/base/deployment.yaml', 'utf8');
  return /name: NODE_OPTIONS\s+value: (\S+)/.exec(text)?.[1] ?? '';
}

// Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux).
const CLOCK_TICKS_PER_S = 100;

/** A process's user + system CPU so far, in microseconds, from /proc/<pid>/stat (fields 14 and 15). */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S) * 1e6;
}

const rssMb = (pid: number) => {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return Math.round(kb / 1024);
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function standalone(ca: Buffer, tls: Record<string, string>) {
  const namespaces = join(dir, 'namespaces.yaml');
  writeFileSync(namespaces, readFileSync('examples/namespaces.yaml'));
  const [webhookPort, floorPort, adminPort] = [await port(), await port(), await port()];
  const webhook = start(['dist/main.js'], {
    ...tls,
    PORT: String(webhookPort),
    ADMIN_PORT: String(adminPort),
    NAMESPACES_FILE: namespaces,
    LOG_LEVEL: 'info',
  });
  const floor = start([
    'dist-bench/bench/floor-server.js',
    tls.TLS_CERT_FILE ?? '',
    tls.TLS_KEY_FILE ?? '',
    String(floorPort),
  ]);
  const pidOf = (target: number) => (target === webhookPort ? webhook.pid : floor.pid) ?? 0;
  await until(() => httpOk(`http://127.0.0.1:${adminPort}/readyz`));
  const core = JSON.stringify(coreReview8k('ai-gateway'));
  const other = JSON.stringify(
    review(pod({ app: 'web', containers: [container({ name: 'nginx', image: 'nginx:1.27' })] }), {
      uid: 'bench-other',
      namespace: 'ai-gateway',
    }),
  );
  const url = (p: number) => `https://localhost:${p}/mutate-pods?timeout=10s`;
  await until(async () => (await post(url(floorPort), core, ca)).includes('allowed'));
  const expectCore = await post(url(webhookPort), core, ca);
  const expectOther = await post(url(webhookPort), other, ca);
  if (!expectCore.includes('"patchType":"JSONPatch"'))
    throw new Error(`webhook did not patch the core pod: ${expectCore}`);

  // The server's own CPU per answered review: steadier than throughput when the load client shares the cores.
  const run = (target: number, body: string, expectBody?: string, rate?: number, durationS = DURATION_S) => {
    const before = cpuUs(pidOf(target));
    const result = load({ url: url(target), body, connections: CONNECTIONS, durationS, expectBody, rate });
    const used = cpuUs(pidOf(target)) - before;
    return { ...result, serverCpuUsPerReview: result.requests > 0 ? Math.round(used / result.requests) : NaN };
  };
  if (!SMOKE) {
    // Warm-up: JIT, TLS session caches, connection pools; results discarded.
    run(webhookPort, core, undefined, undefined, 3);
    run(floorPort, core, undefined, undefined, 3);
  }
  const rounds = { core: [] as LoadResult[], other: [] as LoadResult[], floor: [] as LoadResult[] };
  for (let i = 0; i < ROUNDS; i++) {
    rounds.core.push(run(webhookPort, core, expectCore));
    rounds.floor.push(run(floorPort, core));
    rounds.other.push(run(webhookPort, other, expectOther));
  }
  const fixed = SMOKE
    ? undefined
    : { core: run(webhookPort, core, expectCore, FIXED_RATE), floor: run(floorPort, core, undefined, FIXED_RATE) };
  return { rounds, fixed, bytes: Buffer.byteLength(core) };
}

async function scale(tls: Record<string, string>) {
  const api = await new StandInApiServer().start();
  for (let i = 0; i < SCALE_NAMESPACES; i++) {
    const annotated: Record<string, string> =
      i % 10 === 0
        ? { 'aigw-otel.io/endpoint': 'https://collector:4317', 'aigw-otel.io/metric-export-interval': '10s' }
        : {};
    api.setNamespace(`ns-${i}`, { 'example.com/team': `team-${i % 97}`, ...annotated }, true);
  }
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  writeFileSync(kubeconfig, api.kubeconfigYaml('bench'));
  const [webhookPort, adminPort] = [await port(), await port()];
  const started = performance.now();
  const child = start(['dist/main.js'], {
    ...tls,
    PORT: String(webhookPort),
    ADMIN_PORT: String(adminPort),
    // No collector probe: it would resolve the fixtures' Collector host names through the machine's DNS server
    // (benchmarks send traffic to loopback only); it runs once per 5 minutes, nothing a benchmark window would see.
    COLLECTOR_PROBE: 'false',
    KUBECONFIG: kubeconfig,
    LOG_LEVEL: 'info',
  });
  await until(() => httpOk(`http://127.0.0.1:${adminPort}/readyz`));
  const readyMs = Math.round(performance.now() - started);
  await sleep(500);
  const rssReady = rssMb(child.pid ?? 0);
  const body = JSON.stringify(coreReview8k('ns-5000'));
  const result = load({
    url: `https://localhost:${webhookPort}/mutate-pods`,
    body,
    connections: CONNECTIONS,
    durationS: DURATION_S,
  });
  const rssAfter = rssMb(child.pid ?? 0);
  child.kill('SIGTERM');
  await api.stop();
  return { namespaces: SCALE_NAMESPACES, readyMs, rssReadyMb: rssReady, rssAfterLoadMb: rssAfter, load: result };
}

/** The injector idle, standalone and in cluster mode (an idle watch), beside a bare Node process, in one window. */
async function idle(tls: Record<string, string>) {
  const api = await new StandInApiServer().start();
  api.setNamespace('ai-gateway', { 'aigw-otel.io/endpoint': 'https://collector:4317' });
  try {
    const files = { certFile: tls.TLS_CERT_FILE ?? '', keyFile: tls.TLS_KEY_FILE ?? '' };
    const targets = await startIdleTargets([{ name: 'injector', dist: 'dist' }], files, dir, api);
    children.push(...targets.map((t) => t.child));
    const readings = await measureIdle(targets, IDLE_S, IDLE_SETTLE_S);
    for (const t of targets) t.child.kill('SIGTERM');
    return { seconds: IDLE_S, readings };
  } finally {
    await api.stop();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--report-only')) {
    // Rewrites docs/benchmarks.md from docs/benchmarks.json, without measuring.
    return writeReport(JSON.parse(readFileSync('docs/benchmarks.json', 'utf8')) as Report, true);
  }
  execFileSync('bash', ['certs/generate.sh', '--out', dir, '--quiet']);
  const ca = readFileSync(join(dir, 'ca.crt'));
  const tls = { TLS_CERT_FILE: join(dir, 'tls.crt'), TLS_KEY_FILE: join(dir, 'tls.key') };
  const { rounds, fixed, bytes } = await standalone(ca, tls);
  const idleRun = await idle(tls);
  const all = [...rounds.core, ...rounds.other];
  const broken = all.filter((r) => r.errors + r.non2xx + r.mismatches > 0 || r.requests === 0);
  if (SMOKE) {
    for (const r of [...all, ...rounds.floor]) console.log(JSON.stringify(r));
    console.log(JSON.stringify({ idle: idleRun }));
    if (broken.length > 0) throw new Error(`the webhook answered wrongly under load: ${JSON.stringify(broken)}`);
    console.log(`bench smoke: ${all.reduce((n, r) => n + r.requests, 0)} reviews under load, all answered correctly`);
    return;
  }
  const scaled = await scale(tls);
  const report: Report = {
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    node: process.version,
    command: 'npm run bench',
    settings: {
      connections: CONNECTIONS,
      durationS: DURATION_S,
      rounds: ROUNDS,
      fixedRate: FIXED_RATE,
      reviewBytes: bytes,
      logLevel: 'info',
    },
    throughput: {
      webhookCore: median(rounds.core.map((r) => r.rps)),
      webhookOther: median(rounds.other.map((r) => r.rps)),
      floor: median(rounds.floor.map((r) => r.rps)),
    },
    cpu: {
      webhookCoreUs: median(rounds.core.map((r) => r.serverCpuUsPerReview ?? NaN)),
      webhookOtherUs: median(rounds.other.map((r) => r.serverCpuUsPerReview ?? NaN)),
      floorUs: median(rounds.floor.map((r) => r.serverCpuUsPerReview ?? NaN)),
    },
    rounds,
    fixedRate: fixed,
    scale: scaled,
    idle: idleRun,
    broken,
  };
  writeReport(report);
  if (broken.length > 0) throw new Error('the webhook answered wrongly under load');
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
  });
