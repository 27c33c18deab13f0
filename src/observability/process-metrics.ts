import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, type Registry } from 'prom-client';

/**
 * The event-loop delay histogram of prom-client's default metrics (`monitorEventLoopDelay`): a libuv timer that wakes
 * the process every `eventLoopMonitoringPrecision` ms (10 by default: 100 wake-ups a second, ~95 % of an idle
 * replica's CPU, issue 27). No dashboard or alert reads these series; they are dropped, and the loop's load is
 * reported at scrape time instead (`aigw_otel_injector_event_loop_busy_seconds_total`), next to prom-client's own
 * scrape-time probe `nodejs_eventloop_lag_seconds`, which stays.
 */
export const DROPPED_LOOP_DELAY_METRICS = [
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
] as const;

// prom-client has no switch for the histogram alone, and its other default metrics are all computed at scrape time:
// the histogram's sampling timer is given the longest period Node accepts (2^31 - 1 ms, ~25 days), so it never fires
// in practice, and its series are removed.
const NEVER_MS = 2 ** 31 - 1;

/** Node's process metrics, every one computed when a scrape asks: nothing here wakes an idle process. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: NEVER_MS });
  for (const name of DROPPED_LOOP_DELAY_METRICS) registry.removeSingleMetric(name);
  new Counter({
    name: 'aigw_otel_injector_event_loop_busy_seconds_total',
    help: 'Time the event loop spent running (not waiting for I/O or timers); rate() is its utilization, 0 to 1',
    registers: [registry],
    collect() {
      // libuv's own idle-time accounting (on in every Node process), read now: no sampling between scrapes.
      this.reset();
      this.inc(performance.eventLoopUtilization().active / 1000);
    },
  });
}
