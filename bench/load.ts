/**
 * The load generator, run as its own process so it does not share the server's event loop: autocannon over
 * HTTPS keep-alive connections, with each response time recorded at full (sub-millisecond) resolution.
 * Prints one JSON line with the result.
 */
import autocannon from 'autocannon';
import { latencyOf, type Latency } from './stats.js';

export interface LoadSpec {
  url: string;
  body: string;
  connections: number;
  durationS: number;
  /** Fixed arrival rate (requests per second) instead of as fast as possible. */
  rate?: number;
  /** Every answer must be exactly this, or it counts as a mismatch. */
  expectBody?: string;
}

export interface LoadResult {
  requests: number;
  rps: number;
  errors: number;
  non2xx: number;
  mismatches: number;
  latencyMs: Latency;
  /** Set by bench.ts: the server's user + system CPU over the run divided by the reviews answered, µs. */
  serverCpuUsPerReview?: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  const latencies: number[] = [];
  let finish: (r: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve) => (finish = resolve));
  const instance = autocannon(
    {
      url: spec.url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: spec.body,
      connections: spec.connections,
      duration: spec.durationS,
      ...(spec.rate ? { overallRate: spec.rate } : {}),
      ...(spec.expectBody ? { expectBody: spec.expectBody } : {}),
    },
    (error, result) => (error ? process.exit(2) : finish(result)),
  );
  // The instance emits (client, status, bytes, responseTime) for every response; its types only declare it on clients.
  (instance as NodeJS.EventEmitter).on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status === 200) latencies.push(ms);
  });
  const result = await done;
  const out: LoadResult = {
    requests: result.requests.total,
    rps: Math.round(result.requests.total / spec.durationS),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
    latencyMs: latencyOf(latencies),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

void main();
