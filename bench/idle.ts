/**
 * What the injector costs while nothing happens (issue 27): its CPU per second of wall time and its event loop's
 * wake-ups per second, idle, in standalone mode and in cluster mode with an idle watch (the stand-in API server of
 * the tests, in this process), against a bare Node https server (the floor) measured in the same window. Every
 * process runs at once with the Deployment's NODE_OPTIONS, so all see the same machine.
 *
 *   node dist-bench/bench/idle.js [--seconds 60] [--build name=path/to/dist ...] [--probes]
 *
 * `--build` runs each named build of dist/ side by side (e.g. before and after a change; default: after=dist).
 * `--probes` measures a second window with what a cluster sends an idle replica: the kubelet's probes at the
 * Deployment's periods and a Prometheus scrape every 30 s.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnTied } from '../test/harness/process/spawn.js';
import { StandInApiServer } from '../test/helpers/stand-in-apiserver.js';
import { freePort } from './free-port.js';
import { measureWindow, type IdleReading } from './proc-cpu.js';

// After readiness: the start-up settles (in cluster mode V8 memory reducer collects the API client module graph in a
// full GC some 20 s after start: ~100 ms of CPU on all threads, once).
const SETTLE_S = 40;
// The Deployment's probe periods (manifests/base/deployment.yaml) and the ServiceMonitor's scrape interval.
const PROBES = [
  { path: '/readyz', everyS: 5 },
  { path: '/healthz', everyS: 10 },
  { path: '/metrics', everyS: 30 },
];

export interface IdleTarget {
  readonly name: string;
  readonly child: ChildProcess;
  readonly adminPort?: number;
}

/** The Deployment's own NODE_OPTIONS, so what is measured is what is shipped. */
export function deploymentNodeOptions(): string {
  const text = readFileSync('manifests/base/deployment.yaml', 'utf8');
  return /name: NODE_OPTIONS\s+value: (\S+)/.exec(text)?.[1] ?? '';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ready(adminPort: number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (
    !(await fetch(`http://127.0.0.1:${adminPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error(`admin port ${adminPort}: not ready in ${ms} ms`);
    await sleep(50);
  }
}

/**
 * Starts the floor and, per build, the injector in standalone and in cluster mode; resolves once all are ready.
 * `tls`: the serving pair's files; `dir`: where to write the namespaces file and the kubeconfig.
 */
export async function startIdleTargets(
  builds: readonly { name: string; dist: string }[],
  tls: { certFile: string; keyFile: string },
  dir: string,
  api: StandInApiServer,
): Promise<IdleTarget[]> {
  const env = { ...process.env, NODE_OPTIONS: deploymentNodeOptions(), LOG_LEVEL: 'info' };
  const spawnNode = (args: string[], extra: Record<string, string>) =>
    spawnTied(process.execPath, args, { env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'inherit'] });
  const namespaces = join(dir, 'idle-namespaces.yaml');
  writeFileSync(namespaces, readFileSync('examples/namespaces.yaml'));
  const kubeconfig = join(dir, 'idle-kubeconfig.yaml');
  writeFileSync(kubeconfig, api.kubeconfigYaml('idle'));
  const targets: IdleTarget[] = [
    {
      name: 'floor: bare Node https server',
      child: spawnNode(['dist-bench/bench/floor-server.js', tls.certFile, tls.keyFile, String(await freePort())], {}),
    },
  ];
  for (const build of builds) {
    for (const mode of ['standalone', 'cluster'] as const) {
      const adminPort = await freePort();
      const child = spawnNode([join(build.dist, 'main.js')], {
        TLS_CERT_FILE: tls.certFile,
        TLS_KEY_FILE: tls.keyFile,
        PORT: String(await freePort()),
        ADMIN_PORT: String(adminPort),
        // No collector probe in cluster mode: it would look up host names off this machine; it wakes once per 5 min.
        ...(mode === 'standalone'
          ? { NAMESPACES_FILE: namespaces }
          : { KUBECONFIG: kubeconfig, COLLECTOR_PROBE: 'false' }),
      });
      targets.push({ name: `${build.name}: ${mode}${mode === 'cluster' ? ', idle watch' : ''}`, child, adminPort });
    }
  }
  await Promise.all(targets.flatMap((t) => (t.adminPort === undefined ? [] : [ready(t.adminPort)])));
  return targets;
}

/** One idle window over every target after the settling time. */
export async function measureIdle(targets: readonly IdleTarget[], seconds: number, settleS = SETTLE_S) {
  await sleep(settleS * 1000);
  return measureWindow(
    targets.map((t) => ({ name: t.name, pid: t.child.pid ?? 0 })),
    seconds,
  );
}

/** The same window with the kubelet's probes and a scrape arriving as in a cluster. */
export async function measureProbed(targets: readonly IdleTarget[], seconds: number): Promise<IdleReading[]> {
  const stop = AbortSignal.timeout(seconds * 1000);
  const prober = async () => {
    const timers = PROBES.map(({ path, everyS }) =>
      setInterval(() => {
        for (const t of targets)
          if (t.adminPort !== undefined)
            void fetch(`http://127.0.0.1:${t.adminPort}${path}`).then(
              (r) => r.arrayBuffer(),
              () => undefined,
            );
      }, everyS * 1000),
    );
    await new Promise((r) => stop.addEventListener('abort', r));
    timers.forEach(clearInterval);
  };
  return measureWindow(
    targets.map((t) => ({ name: t.name, pid: t.child.pid ?? 0 })),
    seconds,
    prober,
  );
}

export function idleTable(rows: readonly IdleReading[]): string {
  const floor = rows[0]?.cpuMsPerS ?? NaN;
  const lines = [
    '| process | CPU ms per s (schedstat) | CPU ms per s (/proc stat ticks) | over the floor | main-thread wake-ups per s |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const over = r === rows[0] ? '—' : `+${(r.cpuMsPerS - floor).toFixed(3)}`;
    lines.push(
      `| ${r.name} | ${r.cpuMsPerS.toFixed(3)} | ${r.cpuMsPerSTicks.toFixed(2)} | ${over} | ${r.wakeupsPerS.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

function argValues(flag: string): string[] {
  const args = process.argv.slice(2);
  return args.flatMap((a, i) => (a === flag && args[i + 1] !== undefined ? [args[i + 1]!] : []));
}

async function main(): Promise<void> {
  const seconds = Number(argValues('--seconds')[0] ?? 60);
  const builds = argValues('--build').map((b) => {
    const [name = '', dist = ''] = b.split('=');
    return { name, dist: resolve(dist) };
  });
  if (builds.length === 0) builds.push({ name: 'injector', dist: resolve('dist') });
  const dir = mkdtempSync(join(tmpdir(), 'aigw-idle-'));
  execFileSync('bash', ['certs/generate.sh', '--out', dir, '--quiet']);
  const api = await new StandInApiServer().start();
  api.setNamespace('ai-gateway', { 'aigw-otel.io/endpoint': 'https://collector:4317' });
  let targets: IdleTarget[] = [];
  try {
    targets = await startIdleTargets(
      builds,
      { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
      dir,
      api,
    );
    const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const loadBefore = load();
    const idle = await measureIdle(targets, seconds);
    process.stdout.write(`Idle, ${seconds} s, all at once (load average before: ${loadBefore}, after: ${load()}):\n\n`);
    process.stdout.write(`${idleTable(idle)}\n\n`);
    let probed: IdleReading[] | undefined;
    if (process.argv.includes('--probes')) {
      probed = await measureProbed(targets, seconds);
      process.stdout.write(`With the kubelet's probes and a scrape every 30 s, ${seconds} s (load: ${load()}):\n\n`);
      process.stdout.write(`${idleTable(probed)}\n\n`);
    }
    process.stdout.write(`${JSON.stringify({ seconds, idle, probed })}\n`);
  } finally {
    for (const t of targets) t.child.kill('SIGTERM');
    await api.stop();
  }
}

if (process.argv[1]?.endsWith('idle.js')) await main();
