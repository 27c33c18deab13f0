import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { idleTable } from './idle.js';
import type { LoadResult } from './load.js';
import type { IdleReading } from './proc-cpu.js';

export interface Report {
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number };
  node: string;
  command: string;
  settings: {
    connections: number;
    durationS: number;
    rounds: number;
    fixedRate: number;
    reviewBytes: number;
    logLevel: string;
  };
  throughput: { webhookCore: number; webhookOther: number; floor: number };
  /** Server CPU (user + system) per answered review, µs, medians of the rounds. */
  cpu?: { webhookCoreUs: number; webhookOtherUs: number; floorUs: number };
  rounds: { core: LoadResult[]; other: LoadResult[]; floor: LoadResult[] };
  fixedRate: { core: LoadResult; floor: LoadResult } | undefined;
  scale: { namespaces: number; readyMs: number; rssReadyMb: number; rssAfterLoadMb: number; load: LoadResult };
  /** Issue 27: the floor, then the injector standalone and in cluster mode, idle in one window. */
  idle?: { seconds: number; readings: IdleReading[] };
  broken: LoadResult[];
}

const pct = (a: number, b: number) => `${Math.round((a / b) * 100)} %`;
const lat = (r: LoadResult | undefined) => (r ? `${r.latencyMs.p50} / ${r.latencyMs.p99} / ${r.latencyMs.p999}` : '—');
const best = (rs: LoadResult[]) => [...rs].sort((a, b) => a.rps - b.rps)[Math.floor(rs.length / 2)];

/** Floor ÷ webhook CPU per review in each round (webhook and floor ran back to back), then the median. */
function cpuRatio(r: Report): number {
  const ratios = r.rounds.core.map(
    (c, i) => (r.rounds.floor[i]?.serverCpuUsPerReview ?? NaN) / (c.serverCpuUsPerReview ?? NaN),
  );
  return [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)] ?? Number.NaN;
}

/** Each target of the performance issue: what it asks, what this run measured, whether that meets it. */
function targets(r: Report): [string, string, boolean][] {
  const ratio = cpuRatio(r);
  const p99 = r.fixedRate ? r.fixedRate.core.latencyMs.p99 - r.fixedRate.floor.latencyMs.p99 : Number.NaN;
  return [
    ['CPU ratio floor ÷ webhook, patched core pod ≥ 0.5', ratio.toFixed(2), ratio >= 0.5],
    ['p99 at 1,000 reviews/s ≤ floor p99 + 1 ms', `+${p99.toFixed(2)} ms`, p99 <= 1],
    ['RSS when ready, 10,000 namespaces ≤ 120 MB', `${r.scale.rssReadyMb} MB`, r.scale.rssReadyMb <= 120],
    ['ready, 10,000 namespaces ≤ 3 s', `${r.scale.readyMs} ms`, r.scale.readyMs <= 3000],
    ...(r.idle?.readings.slice(1) ?? []).map((i): [string, string, boolean] => [
      `idle (issue 27), ${i.name.replace(/^injector: /, '')}: ≤ 1 ms of CPU per s over ${r.idle?.seconds} s`,
      `${i.cpuMsPerS.toFixed(2)} ms/s (floor ${r.idle?.readings[0]?.cpuMsPerS.toFixed(2)})`,
      i.cpuMsPerS <= 1,
    ]),
  ];
}

// What `npm run bench` writes ends here; what follows in docs/benchmarks.md is written by hand (the real API server's
// runs of bench:cluster, the profiles) and kept as it is.
const HAND_WRITTEN = '<!-- Written by hand below this line; npm run bench keeps it. -->';

function handWritten(): string {
  const text = existsSync('docs/benchmarks.md') ? readFileSync('docs/benchmarks.md', 'utf8') : '';
  const at = text.indexOf(HAND_WRITTEN);
  return at < 0 ? `${HAND_WRITTEN}\n` : text.slice(at);
}

function idleSection(r: Report): string {
  if (r.idle === undefined) return '';
  return `
Idle (issue 27): each process's CPU per second of wall time over ${r.idle.seconds} s, all in the same window, no
reviews, no probes; the injector in cluster mode holds an open, idle namespace watch on the stand-in API server; the
floor is a bare Node \`https\` server. CPU from the scheduler's run time of every thread (\`/proc/<pid>/task/*/schedstat\`),
wake-ups from the main thread's voluntary context switches:

${idleTable(r.idle.readings)}
`;
}

/** docs/benchmarks.json (everything) and docs/benchmarks.md (the generated part; the hand-written rest is kept). */
export function writeReport(r: Report, markdownOnly = false): void {
  mkdirSync('docs', { recursive: true });
  if (!markdownOnly) writeFileSync('docs/benchmarks.json', `${JSON.stringify(r, null, 2)}\n`);
  const t = r.throughput;
  const md = `# Benchmarks

Measured by \`${r.command}\` on ${r.date.slice(0, 10)}: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.node}.
Load from a separate process (autocannon) over keep-alive HTTPS, ${r.settings.connections} connections,
${r.settings.durationS} s per run, ${r.settings.rounds} rounds alternating webhook and floor (medians shown), logging at
\`${r.settings.logLevel}\`. The review is a ${r.settings.reviewBytes}-byte AdmissionReview of an AI Gateway core pod as the
API server sends it. The **floor** is a bare Node \`https\` server with the same TLS material that reads and parses the body
and answers a fixed allowed review: what Node itself costs. The machine is noisy; compare within a run, not across runs.

| scenario | reviews/s | vs floor | latency p50 / p99 / p99.9 (ms) |
|---|---:|---:|---|
| webhook, core pod in an annotated namespace (patched) | ${t.webhookCore} | ${pct(t.webhookCore, t.floor)} | ${lat(best(r.rounds.core))} |
| webhook, a pod that is not an AI Gateway pod | ${t.webhookOther} | ${pct(t.webhookOther, t.floor)} | ${lat(best(r.rounds.other))} |
| floor: bare Node https, parse and fixed answer | ${t.floor} | 100 % | ${lat(best(r.rounds.floor))} |

Server CPU (user + system, from \`/proc/<pid>/stat\`) per answered review, medians of the rounds: webhook, patched core
pod ${r.cpu?.webhookCoreUs ?? '—'} µs; webhook, other pod ${r.cpu?.webhookOtherUs ?? '—'} µs; floor ${r.cpu?.floorUs ?? '—'} µs.
**CPU ratio floor ÷ webhook (patched core pod), median of the rounds' ratios: ${cpuRatio(r).toFixed(2)}** — steadier
than reviews/s here, where the load client competes for the same two cores.

At a fixed arrival rate of ${r.settings.fixedRate} reviews/s: webhook p50 / p99 / p99.9 = ${lat(r.fixedRate?.core)} ms;
floor ${lat(r.fixedRate?.floor)} ms.

Scale (cluster mode, ${r.scale.namespaces.toLocaleString('en')} namespaces listed and watched from the stand-in API server):
ready in ${r.scale.readyMs} ms from process start; RSS ${r.scale.rssReadyMb} MB when ready, ${r.scale.rssAfterLoadMb} MB after load;
reviews with that cache: ${r.scale.load.rps}/s, p50 / p99 / p99.9 = ${lat(r.scale.load)} ms.

CPU per review in each round (webhook patched core pod / floor, µs): ${r.rounds.core
    .map((c, i) => `${c.serverCpuUsPerReview ?? '—'} / ${r.rounds.floor[i]?.serverCpuUsPerReview ?? '—'}`)
    .join('; ')}.

| target (issue 12, 2-core machine) | measured | met |
|---|---|---|
${targets(r)
  .map(([name, value, met]) => `| ${name} | ${value} | ${met ? 'yes' : '**no**'} |`)
  .join('\n')}
${idleSection(r)}
Raw numbers: [benchmarks.json](benchmarks.json). Where the time goes: \`npm run bench:profile\` (below).

${handWritten()}`;
  writeFileSync('docs/benchmarks.md', md);
  console.log(md);
}
