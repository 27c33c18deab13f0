/**
 * Pieces of `bench/cluster.ts`: an HTTPS client of the real API server with the admin's client certificate
 * (keep-alive, as kubectl or a controller keeps its connection), pod creates at a fixed rate (open loop, as
 * bench/fixed-rate.ts), and a count of the TCP connections the API server opened to a webhook port.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { latencyOf, type Latency } from './stats.js';

export interface ApiClient {
  /** One request; resolves with the status and the body text. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }>;
  close(): void;
}

interface AdminKubeconfig {
  clusters: { cluster: { 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

/** A client of the API server as the admin kubeconfig (JSON, client certificate) of test/helpers/control-plane.ts. */
export function apiClient(server: string, kubeconfigPath: string): ApiClient {
  const config = JSON.parse(readFileSync(kubeconfigPath, 'utf8')) as AdminKubeconfig;
  const b64 = (s: string) => Buffer.from(s, 'base64');
  const agent = new Agent({
    keepAlive: true,
    // Enough for 50 creates/s of a few tens of ms each without queueing in the client.
    maxSockets: 64,
    ca: b64(config.clusters[0]!.cluster['certificate-authority-data']),
    cert: b64(config.users[0]!.user['client-certificate-data']),
    key: b64(config.users[0]!.user['client-key-data']),
  });
  const call = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${server}${path}`,
        { method, agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('socket', (socket) => socket.setNoDelay(true));
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  return { call, close: () => agent.destroy() };
}

export interface CreatesResult {
  readonly created: number;
  readonly errors: number;
  readonly latencyMs: Latency;
  /** How late the client sent, p99: client noise, not the server's. */
  readonly sendLagP99Ms: number;
}

/** Creates pods at `rate`/s for warm-up plus `durationS`; latency of those sent after the warm-up. */
export async function createsAtRate(
  api: ApiClient,
  namespace: string,
  podOf: (name: string) => object,
  spec: { rate: number; durationS: number; warmupS: number; prefix: string },
): Promise<CreatesResult> {
  const total = Math.round(spec.rate * (spec.durationS + spec.warmupS));
  const latencies: number[] = [];
  const lags: number[] = [];
  let errors = 0;
  const start = performance.now();
  const measuredFrom = start + spec.warmupS * 1000;
  const send = async (i: number, due: number) => {
    const sent = performance.now();
    try {
      const { status } = await api.call('POST', `/api/v1/namespaces/${namespace}/pods`, podOf(`${spec.prefix}-${i}`));
      if (status !== 201) errors++;
      else if (due >= measuredFrom) latencies.push(performance.now() - sent);
    } catch {
      errors++;
    }
    if (due >= measuredFrom) lags.push(sent - due);
  };
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / spec.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(i, due));
  }
  await Promise.all(inFlight);
  return { created: latencies.length, errors, latencyMs: latencyOf(latencies), sendLagP99Ms: latencyOf(lags).p99 };
}

/**
 * The remote ends of the established TCP connections to a local port, from /proc/net/tcp and tcp6 (a server
 * listening on `::`, as ours does, takes the API server's IPv4 connections there).
 */
function peersOf(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6']
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '01') // 01: ESTABLISHED
    .map((f) => f[2] ?? '');
}

/**
 * Counts the distinct connections to a port while it runs, by sampling: the API server keeps its connections to a
 * webhook alive (90 s idle), so a sample every 100 ms misses none that carried a review.
 */
export function connectionCounter(port: number): { stop(): number } {
  const seen = new Set<string>();
  const sample = () => peersOf(port).forEach((p) => seen.add(p));
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return seen.size;
    },
  };
}

/** A process's user + system CPU so far, in seconds, from /proc/<pid>/stat (fields 14 and 15, USER_HZ 100). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Polls `check` every 100 ms until it holds (a rejection counts as not yet); throws after `ms`. */
export async function until(check: () => Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Our webhook's own count of the pod reviews it answered, from its /metrics text. */
export const podReviewsIn = (metrics: string): number =>
  metrics
    .split('\n')
    .filter((l) => l.startsWith('aigw_otel_injector_reviews_total{') && l.includes('webhook="mutate-pods"'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);

const WARM_CONCURRENCY = 4; // a few at a time: warm, without a burst the API server would queue

/** `count` server-side dry-run creates before a row: enough reviews for V8 to optimise the webhook's hot paths. */
export async function warmUp(api: ApiClient, namespace: string, podOf: (name: string) => object, count: number) {
  let next = 0;
  const worker = async () => {
    while (next < count)
      await api.call('POST', `/api/v1/namespaces/${namespace}/pods?dryRun=All`, podOf(`warm-${next++}`));
  };
  await Promise.all(Array.from({ length: WARM_CONCURRENCY }, worker));
}

/**
 * Waits until a server-side dry-run create reaches the `target` webhook and no other of `hooks` (each counting its
 * reviews); with no target, until three in a row reach none (the API server's webhook informer may lag).
 */
export async function untilOnlyReached(
  api: ApiClient,
  probe: { namespace: string; podOf: (name: string) => object },
  hooks: ReadonlyMap<string, { reviews(): Promise<number> }>,
  target: string | undefined,
  ms?: number,
): Promise<void> {
  let quiet = 0;
  await until(
    async () => {
      const names = [...hooks.keys()];
      const counts = () => Promise.all(names.map((n) => hooks.get(n)!.reviews()));
      const before = await counts();
      const path = `/api/v1/namespaces/${probe.namespace}/pods?dryRun=All`;
      await api.call('POST', path, probe.podOf(`probe-${Date.now()}`));
      const after = await counts();
      const reached = names.filter((_, i) => after[i]! > before[i]!);
      if (target !== undefined) return reached.length === 1 && reached[0] === target;
      quiet = reached.length === 0 ? quiet + 1 : 0;
      return quiet >= 3;
    },
    `${target ?? 'no webhook'} registered`,
    ms,
  );
}
