/** The markdown `bench/cluster.ts` prints for docs/benchmarks.md. Pure. */
import type { CreatesResult } from './cluster-parts.js';

export interface ClusterRow extends CreatesResult {
  readonly rate: number;
  readonly target: 'none' | 'do-nothing' | 'ours';
  /** Pods of the phase the API server stored, and how many of them carry our `injected` annotation. */
  readonly stored: number;
  readonly configured: number;
  /** Distinct connections the API server held to the webhook during the phase (the warm-up opens most of them). */
  readonly connections: number | undefined;
  /** The webhook process's CPU during the phase. */
  readonly cpuSeconds: number | undefined;
}

const ms = (n: number) => n.toFixed(2);
const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(2)}`;
// Issue 19 §4's target: what our webhook may add over a do-nothing one.
const TARGET_P50_MS = 1;
const TARGET_P99_MS = 3;

export function formatCluster(
  rows: readonly ClusterRow[],
  run: { machine: string; node: string; kube: string; durationS: number },
): string {
  const lines = [
    `Pod creates through kube-apiserver ${run.kube} on loopback (${run.machine}, Node ${run.node}), ` +
      `${run.durationS} s per row, open loop at a fixed rate, keep-alive HTTPS as the admin:`,
    '',
    '| creates/s | webhook | measured | errors | configured | p50 ms | p99 ms | webhook CPU s | connections API server → webhook (open during the row, warm-up included) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.rate} | ${r.target} | ${r.created} | ${r.errors} | ${r.configured}/${r.stored} | ${ms(r.latencyMs.p50)} | ` +
        `${ms(r.latencyMs.p99)} | ${r.cpuSeconds?.toFixed(2) ?? '—'} | ${r.connections ?? '—'} |`,
    );
  }
  lines.push(
    '',
    '| creates/s | | Δ p50 ms | Δ p99 ms | within target (≤ 1 ms p50, ≤ 3 ms p99) |',
    '|---:|---|---:|---:|---|',
  );
  for (const rate of [...new Set(rows.map((r) => r.rate))]) {
    const at = (t: ClusterRow['target']) => rows.find((r) => r.rate === rate && r.target === t);
    const [none, noop, ours] = [at('none'), at('do-nothing'), at('ours')];
    if (none && noop) {
      const d = [noop.latencyMs.p50 - none.latencyMs.p50, noop.latencyMs.p99 - none.latencyMs.p99];
      lines.push(`| ${rate} | do-nothing − none | ${signed(d[0]!)} | ${signed(d[1]!)} | |`);
    }
    if (noop && ours) {
      const d = [ours.latencyMs.p50 - noop.latencyMs.p50, ours.latencyMs.p99 - noop.latencyMs.p99];
      const ok = d[0]! <= TARGET_P50_MS && d[1]! <= TARGET_P99_MS ? 'yes' : 'no';
      lines.push(`| ${rate} | ours − do-nothing | ${signed(d[0]!)} | ${signed(d[1]!)} | ${ok} |`);
    }
  }
  const lag = Math.max(...rows.map((r) => r.sendLagP99Ms));
  lines.push('', `Client send lag p99 (the load client's own timer noise, not the server's): ≤ ${ms(lag)} ms.`, '');
  return lines.join('\n');
}
