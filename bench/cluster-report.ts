/** The markdown `bench/cluster.ts` prints for docs/benchmarks.md. Pure. */
import type { CreatesResult } from './cluster-parts.js';

export interface ClusterRow extends CreatesResult {
  readonly rate: number;
  /** `none`, `do-nothing`, `ours`, or the name of another build of ours (bench/cluster.ts --variant). */
  readonly target: string;
  /** Pods of the phase the API server stored, and how many of them carry our `injected` annotation. */
  readonly stored: number;
  readonly configured: number;
  /** Distinct connections the API server held to the webhook during the phase (the warm-up opens most of them). */
  readonly connections: number | undefined;
  /** The webhook process's CPU during the phase. */
  readonly cpuSeconds: number | undefined;
  /** Reviews the webhook answered during the phase (its own count), warm-up sends included, as its CPU is. */
  readonly reviews?: number | undefined;
}

/** ms of the webhook's CPU per review it answered in the phase. */
const cpuPerReview = (r: ClusterRow) =>
  r.cpuSeconds !== undefined && r.reviews ? (r.cpuSeconds * 1000) / r.reviews : undefined;
// Issue 27's target: CPU per review within 1.5x of the do-nothing webhook's.
const TARGET_CPU_RATIO = 1.5;

const ms = (n: number) => n.toFixed(2);
const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(2)}`;
// Issue 19 §4's target: what our webhook may add over a do-nothing one.
const TARGET_P50_MS = 1;
const TARGET_P99_MS = 3;

export function formatCluster(
  rows: readonly ClusterRow[],
  run: { machine: string; node: string; kube: string; durationS: number; where?: string },
): string {
  const lines = [
    `Pod creates through kube-apiserver ${run.kube} ${run.where ?? 'on loopback'} (${run.machine}, Node ${run.node}), ` +
      `${run.durationS} s per row, open loop at a fixed rate, keep-alive HTTPS as the admin:`,
    '',
    '| creates/s | webhook | measured | errors | configured | p50 ms | p99 ms | webhook CPU s | reviews answered | CPU ms per review | connections API server → webhook (open during the row, warm-up included) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.rate} | ${r.target} | ${r.created} | ${r.errors} | ${r.configured}/${r.stored} | ${ms(r.latencyMs.p50)} | ` +
        `${ms(r.latencyMs.p99)} | ${r.cpuSeconds?.toFixed(2) ?? '—'} | ${r.reviews ?? '—'} | ` +
        `${cpuPerReview(r)?.toFixed(2) ?? '—'} | ${r.connections ?? '—'} |`,
    );
  }
  lines.push(
    '',
    "| creates/s | | Δ p50 ms | Δ p99 ms | within target (≤ 1 ms p50, ≤ 3 ms p99) | CPU per review ÷ do-nothing's | within 1.5× |",
    '|---:|---|---:|---:|---|---:|---|',
  );
  for (const rate of [...new Set(rows.map((r) => r.rate))]) lines.push(...deltaRows(rows, rate));
  const lag = Math.max(...rows.map((r) => r.sendLagP99Ms));
  lines.push('', `Client send lag p99 (the load client's own timer noise, not the server's): ≤ ${ms(lag)} ms.`, '');
  return lines.join('\n');
}

/** The differences at one rate: do-nothing over none, then each build of ours over do-nothing, with the targets. */
function deltaRows(rows: readonly ClusterRow[], rate: number): string[] {
  const at = (t: string) => rows.find((r) => r.rate === rate && r.target === t);
  const [none, noop] = [at('none'), at('do-nothing')];
  if (noop === undefined) return [];
  const lines: string[] = [];
  if (none) {
    const d = [noop.latencyMs.p50 - none.latencyMs.p50, noop.latencyMs.p99 - none.latencyMs.p99];
    lines.push(`| ${rate} | do-nothing − none | ${signed(d[0]!)} | ${signed(d[1]!)} | | | |`);
  }
  for (const r of rows.filter((x) => x.rate === rate && x.target !== 'none' && x.target !== 'do-nothing')) {
    const d = [r.latencyMs.p50 - noop.latencyMs.p50, r.latencyMs.p99 - noop.latencyMs.p99];
    const ok = d[0]! <= TARGET_P50_MS && d[1]! <= TARGET_P99_MS ? 'yes' : 'no';
    const [mine, theirs] = [cpuPerReview(r), cpuPerReview(noop)];
    const ratio = mine !== undefined && theirs !== undefined ? mine / theirs : undefined;
    const cpuOk = ratio === undefined ? '' : ratio <= TARGET_CPU_RATIO ? 'yes' : 'no';
    lines.push(
      `| ${rate} | ${r.target} − do-nothing | ${signed(d[0]!)} | ${signed(d[1]!)} | ${ok} | ` +
        `${ratio?.toFixed(2) ?? '—'} | ${cpuOk} |`,
    );
  }
  return lines;
}
