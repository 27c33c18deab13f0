/**
 * `npm run bench:profile`: where the server CPU of a patched core-pod review goes, webhook against the floor.
 * Each server runs under `node --cpu-prof` while the load process drives it; the profile's self time is summed into
 * a few buckets and divided by the reviews answered. Profiling slows both servers alike: compare the two columns.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTied } from '../test/harness/process/spawn.js';
import { freePort } from './free-port.js';
import type { LoadResult } from './load.js';
import { coreReview8k } from './review-8k.js';

// Long enough for thousands of reviews per profile; the numbers are shares, not throughput.
const DURATION_S = 8;
const CONNECTIONS = 16;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const EXPRESS =
  /node_modules\/(express|router|content-type|mime-types|mime-db|type-is|media-typer|finalhandler|on-finished|parseurl|path-to-regexp|depd|qs|accepts|negotiator|statuses|fresh|encodeurl|escape-html|vary|http-errors|is-promise)\//;

/** The bucket a profile node's self time belongs to; undefined for idle. */
function bucket({ callFrame: { functionName, url } }: ProfileNode): string | undefined {
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'GC';
  // JSON.parse is inlined into its caller: the body reader here, the request handler in the floor.
  if (url.includes('json-body.js') || url.includes('floor-server.js')) return 'body read + JSON.parse';
  if (/\/dist\/(core|admission)\//.test(url) || url.includes('crypto'))
    return 'decision and answer (src/core, src/admission)';
  if (url.includes('fast-json-patch')) return 'diff (fast-json-patch compare)';
  if (EXPRESS.test(url)) return 'express and its router';
  if (/pino|sonic-boom/.test(url) || functionName === 'writeString') return 'logging (pino)';
  if (url.includes('prom-client')) return 'metrics (prom-client)';
  if (/\/dist\/(http|observability)\//.test(url)) return 'route glue (src/http)';
  return 'TLS, HTTP, sockets, event loop (Node)';
}

function buckets(file: string, reviews: number): Record<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const sums: Record<string, number> = {};
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const name = node && bucket(node);
    if (name !== undefined) sums[name] = (sums[name] ?? 0) + (profile.timeDeltas[i] ?? 0);
  });
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, Math.round((v / reviews) * 10) / 10]));
}

async function profiled(args: string[], env: Record<string, string>, url: string, ready: () => Promise<boolean>) {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-prof-'));
  const child = spawnTied(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  while (!(await ready().catch(() => false))) await new Promise((r) => setTimeout(r, 50));
  const body = JSON.stringify(coreReview8k('ai-gateway'));
  const spec = { url, body, connections: CONNECTIONS, durationS: DURATION_S };
  const out = execFileSync(process.execPath, ['dist-bench/bench/load.js', JSON.stringify(spec)], { encoding: 'utf8' });
  const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadResult;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('no profile written');
  return buckets(join(dir, file), result.requests);
}

/** A TCP connection is accepted: the floor answers nothing but reviews. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-prof-certs-'));
  execFileSync('bash', ['certs/generate.sh', '--out', dir, '--quiet']);
  const tls = { TLS_CERT_FILE: join(dir, 'tls.crt'), TLS_KEY_FILE: join(dir, 'tls.key') };
  writeFileSync(join(dir, 'namespaces.yaml'), readFileSync('examples/namespaces.yaml'));
  const [webhookPort, adminPort, floorPort] = [await freePort(), await freePort(), await freePort()];
  const namespaces = join(dir, 'namespaces.yaml');
  const webhook = await profiled(
    ['dist/main.js'],
    {
      ...tls,
      PORT: String(webhookPort),
      ADMIN_PORT: String(adminPort),
      NAMESPACES_FILE: namespaces,
      LOG_LEVEL: 'info',
    },
    `https://localhost:${webhookPort}/mutate-pods`,
    () => fetch(`http://127.0.0.1:${adminPort}/readyz`).then((r) => r.ok),
  );
  const floor = await profiled(
    ['dist-bench/bench/floor-server.js', tls.TLS_CERT_FILE, tls.TLS_KEY_FILE, String(floorPort)],
    {},
    `https://localhost:${floorPort}/mutate-pods`,
    () => listening(floorPort),
  );
  const names = [...new Set([...Object.keys(webhook), ...Object.keys(floor)])].sort(
    (a, b) => (webhook[b] ?? 0) - (webhook[a] ?? 0),
  );
  const total = (o: Record<string, number>) => Math.round(Object.values(o).reduce((s, v) => s + v, 0));
  console.log('| µs per review (profiled) | webhook, patched core pod | floor |\n|---|---:|---:|');
  for (const n of names) console.log(`| ${n} | ${webhook[n] ?? 0} | ${floor[n] ?? 0} |`);
  console.log(`| **total** | **${total(webhook)}** | **${total(floor)}** |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
