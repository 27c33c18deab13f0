/**
 * A real OpenTelemetry Collector (test/real/otelcol, built by test/real/build.sh) with a configuration made for
 * the test: OTLP/gRPC and OTLP/HTTP receivers on free loopback ports over TLS with the test's server certificate,
 * optionally requiring client certificates signed by the test CA (mTLS) and/or a bearer token; everything it
 * receives goes through the file exporter into a JSON-lines file that `received()` reads back as OTLP/JSON.
 * `stop()` ends the process by its pid (SIGTERM, then SIGKILL); call it from afterAll so a failed test stops it too.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnTied } from '../harness/process/spawn.js';
import { freePort } from './process.js';
import { realPaths } from './real-parts.js';

export interface CollectorOptions {
  /** Server certificate and key (PEM) the receivers present. */
  readonly cert: string;
  readonly key: string;
  /** When set, both receivers require a client certificate signed by this CA (PEM). */
  readonly clientCa?: string;
  /** When set, both receivers require `Authorization: Bearer <token>`. */
  readonly bearerToken?: string;
  /** The loopback address the receivers listen on; 127.0.0.1 unless given (any of 127/8 reaches lo on Linux). */
  readonly host?: string;
  /** Plain OTLP (no TLS): `cert` and `key` are not used. */
  readonly plaintext?: boolean;
}

/** One export as the Collector received it, from the file exporter's line. */
export interface Received {
  readonly signal: 'traces' | 'metrics';
  /** Resource attributes of each resource, values as strings. */
  readonly resources: readonly Record<string, string>[];
  /** Span names, or metric names. */
  readonly names: readonly string[];
  /** For metrics: the time of each data point (the SDK's collection time), in ms since the epoch. */
  readonly pointTimesMs: readonly number[];
}

type AnyValue = { stringValue?: string; boolValue?: boolean; intValue?: string; doubleValue?: number };
type Resource = { attributes?: { key: string; value?: AnyValue }[] };
type Point = { timeUnixNano?: string };
type Metric = { name: string; sum?: { dataPoints?: Point[] }; gauge?: { dataPoints?: Point[] } };
type Line = {
  resourceSpans?: { resource?: Resource; scopeSpans?: { spans?: { name: string }[] }[] }[];
  resourceMetrics?: { resource?: Resource; scopeMetrics?: { metrics?: Metric[] }[] }[];
};

const text = (v: AnyValue | undefined) => String(v?.stringValue ?? v?.boolValue ?? v?.intValue ?? v?.doubleValue ?? '');
const attributes = (r: Resource | undefined) =>
  Object.fromEntries((r?.attributes ?? []).map((a) => [a.key, text(a.value)]));

/** One line of the file exporter's output (an OTLP/JSON request) as what the tests look at. */
export function parseLine(line: string): Received {
  const parsed = JSON.parse(line) as Line;
  if (parsed.resourceSpans !== undefined) {
    const rs = parsed.resourceSpans;
    return {
      signal: 'traces',
      resources: rs.map((r) => attributes(r.resource)),
      names: rs.flatMap((r) => (r.scopeSpans ?? []).flatMap((s) => (s.spans ?? []).map((x) => x.name))),
      pointTimesMs: [],
    };
  }
  const rm = parsed.resourceMetrics ?? [];
  const metrics = rm.flatMap((r) => (r.scopeMetrics ?? []).flatMap((s) => s.metrics ?? []));
  return {
    signal: 'metrics',
    resources: rm.map((r) => attributes(r.resource)),
    names: metrics.map((m) => m.name),
    pointTimesMs: metrics.flatMap((m) =>
      (m.sum?.dataPoints ?? m.gauge?.dataPoints ?? []).map((p) => Number(BigInt(p.timeUnixNano ?? '0') / 1_000_000n)),
    ),
  };
}

export interface RealCollector {
  /** Ports of the OTLP/gRPC and OTLP/HTTP receivers on 127.0.0.1 (or `options.host`). */
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Everything received so far, in order. */
  received(): Received[];
  /** What the Collector logged (stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

// The file exporter's buffer is flushed this often; the tests poll the file, so shorter means faster tests.
const FLUSH_INTERVAL = '100ms';
// A Collector starts in well under a second; on a loaded two-core machine give it ample room.
const START_DEADLINE_MS = 30_000;
const READY = 'Everything is ready';

function config(dir: string, options: CollectorOptions, grpcPort: number, httpPort: number) {
  writeFileSync(join(dir, 'tls.crt'), options.cert);
  writeFileSync(join(dir, 'tls.key'), options.key, { mode: 0o600 });
  const tls: Record<string, string> = { cert_file: join(dir, 'tls.crt'), key_file: join(dir, 'tls.key') };
  if (options.clientCa !== undefined) {
    writeFileSync(join(dir, 'client-ca.crt'), options.clientCa);
    tls.client_ca_file = join(dir, 'client-ca.crt');
  }
  const auth = options.bearerToken === undefined ? {} : { auth: { authenticator: 'bearertokenauth' } };
  const protocol = (port: number) => ({
    endpoint: `${options.host ?? '127.0.0.1'}:${port}`,
    ...(options.plaintext === true ? {} : { tls }),
    ...auth,
  });
  const pipeline = { receivers: ['otlp'], exporters: ['file'] };
  return {
    ...(options.bearerToken === undefined ? {} : { extensions: { bearertokenauth: { token: options.bearerToken } } }),
    receivers: { otlp: { protocols: { grpc: protocol(grpcPort), http: protocol(httpPort) } } },
    exporters: { file: { path: join(dir, 'received.jsonl'), flush_interval: FLUSH_INTERVAL } },
    service: {
      ...(options.bearerToken === undefined ? {} : { extensions: ['bearertokenauth'] }),
      // No internal metrics endpoint: its default port (8888) would collide between parallel test files.
      telemetry: { metrics: { level: 'none' }, logs: { level: 'info' } },
      pipelines: { traces: pipeline, metrics: pipeline },
    },
  };
}

async function waitReady(child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS;
  while (!log().includes(READY)) {
    if (child.exitCode !== null) throw new Error(`otelcol exited with ${child.exitCode}:\n${log()}`);
    if (Date.now() > deadline) throw new Error(`otelcol not ready in ${START_DEADLINE_MS} ms:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts the built Collector with a configuration for these options; resolves once it is ready. */
export async function startCollector(options: CollectorOptions): Promise<RealCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-otelcol-'));
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config(dir, options, grpcPort, httpPort)));
  const child = spawnTied(realPaths.otelcol, ['--config', `file:${file}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const log = () => stderr;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      // A Collector shuts down in milliseconds; past this it is stuck and gets SIGKILL.
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  const output = join(dir, 'received.jsonl');
  const received = () => {
    if (!existsSync(output)) return [];
    const lines = readFileSync(output, 'utf8').split('\n');
    // Only whole lines: the exporter's buffer may have been flushed in the middle of the last one.
    lines.pop();
    return lines.filter((l) => l.trim() !== '').map(parseLine);
  };
  return { grpcPort, httpPort, received, log, stop };
}
