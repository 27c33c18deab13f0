/** Percentiles of latencies recorded at full resolution, in milliseconds to the microsecond. */
export interface Latency {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

export function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function latencyOf(samples: readonly number[]): Latency {
  const sorted = Float64Array.from(samples).sort();
  return {
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    p999: round(percentile(sorted, 99.9)),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}
