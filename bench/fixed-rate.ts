/**
 * Latency at a fixed arrival rate, open loop: request i is sent at start + i/rate whatever happened before (a slow
 * answer never delays the next request). Latency counts from the send; how late the client itself sent (timer
 * lag, which on a 2-core machine is noise of the client, not the server) is reported beside it.
 * Keep-alive HTTPS connections, as the API server keeps them. Prints one JSON line.
 */
import { Agent, request } from 'node:https';
import type { LoadResult, LoadSpec } from './load.js';
import { latencyOf } from './stats.js';

/** The same spec as the flat-out run, with the rate required. */
type FixedRateSpec = LoadSpec & { rate: number };

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as FixedRateSpec;
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections, rejectUnauthorized: false });
  // The first seconds open the connections (TLS handshakes) and warm the JIT on both sides: sent, not counted.
  const warmupS = 2;
  const total = spec.rate * (spec.durationS + warmupS);
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const start = performance.now();
  const measuredFrom = start + warmupS * 1000;
  const lags: number[] = [];
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const sent = performance.now();
      if (due >= measuredFrom) lags.push(sent - due);
      const req = request(
        spec.url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) non2xx++;
            else if (due >= measuredFrom) latencies.push(performance.now() - sent);
            resolve();
          });
        },
      );
      // Nagle's algorithm would hold the body back behind the headers for a delayed ACK (40 ms).
      req.on('socket', (socket) => socket.setNoDelay(true));
      req.on('error', () => (errors++, resolve()));
      req.end(spec.body);
    });
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / spec.rate;
    const wait = due - performance.now();
    // Sleep to the due time (no spinning: on 2 cores a spinning client would steal the server's CPU).
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(due));
  }
  await Promise.all(inFlight);
  agent.destroy();
  const lag = latencyOf(lags);
  process.stderr.write(`client send lag p50/p99: ${lag.p50} / ${lag.p99} ms\n`);
  const out: LoadResult = {
    requests: latencies.length,
    rps: spec.rate,
    errors,
    non2xx,
    mismatches: 0,
    latencyMs: latencyOf(latencies),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

void main();
