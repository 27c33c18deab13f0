import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { DROPPED_LOOP_DELAY_METRICS } from '../../src/observability/process-metrics.js';

const names = async () => {
  const text = await createMetrics().registry.metrics();
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
};

/** Every metric name the shipped alerts and dashboard query (manifests/). */
function namesUsedByManifests(): string[] {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : /\.(ya?ml|json)$/.test(e.name) ? [join(dir, e.name)] : [],
    );
  const text = files('manifests')
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  return [...new Set([...text.matchAll(/\b(?:aigw_otel_injector|nodejs|process)_[a-z_]+/g)].map((m) => m[0]))];
}

describe('process metrics (issue 27)', () => {
  it.each([
    ['the scrape-time event-loop lag probe', 'nodejs_eventloop_lag_seconds'],
    ['the event loop busy time, read at scrape time', 'aigw_otel_injector_event_loop_busy_seconds_total'],
    ['GC durations', 'nodejs_gc_duration_seconds'],
    ['process CPU', 'process_cpu_seconds_total'],
    ['resident memory', 'process_resident_memory_bytes'],
    ['heap use', 'nodejs_heap_size_used_bytes'],
  ])('keeps %s (%s)', async (_what, name) => {
    expect(await names()).toContain(name);
  });

  it.each(DROPPED_LOOP_DELAY_METRICS.map((n) => [n]))('drops the sampled loop delay series %s', async (name) => {
    expect(await names()).not.toContain(name);
  });

  it('exports every metric the shipped alerts and dashboard use', async () => {
    const exported = await names();
    const used = namesUsedByManifests().map((n) => n.replace(/_(bucket|sum|count)$/, ''));
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((n) => !exported.has(n))).toEqual([]);
  });

  it('counts the busy time of the event loop at scrape time', async () => {
    const { registry } = createMetrics();
    const busy = async () =>
      Number(/^aigw_otel_injector_event_loop_busy_seconds_total (\S+)$/m.exec(await registry.metrics())?.[1]);
    const first = await busy();
    const until = performance.now() + 50;
    while (performance.now() < until); // 50 ms of a busy loop
    await new Promise((r) => setImmediate(r));
    expect(await busy()).toBeGreaterThanOrEqual(first + 0.05);
  });
});
