import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { WORKLOAD_KINDS } from '../core/rollout.js';
import { registerProcessMetrics } from './process-metrics.js';

export type Webhook = 'mutate-pods' | 'validate-namespaces';
/** What the webhook answered: the label an alert on failed-open or bad requests keys on. */
export type Outcome = 'patched' | 'allowed' | 'denied' | 'failed_open' | 'bad_request';

export interface Metrics {
  readonly registry: Registry;
  readonly reviews: Counter<'webhook' | 'outcome' | 'reason'>;
  readonly reviewDuration: Histogram<'webhook'>;
  readonly injections: Counter<'role' | 'result'>;
  readonly namespaces: Gauge;
  readonly namespacesSynced: Gauge;
  readonly namespaceLastEvent: Gauge;
  readonly namespaceReloads: Counter<'result'>;
  readonly warnings: Counter<'annotation' | 'kind'>;
  readonly certificateExpiry: Gauge;
  readonly certificateReloads: Counter<'result'>;
  readonly leader: Gauge;
  readonly rollouts: Counter<'kind' | 'result'>;
  readonly podsUnconfigured: Gauge<'namespace' | 'state'>;
  readonly collectorProbe: Gauge<'namespace' | 'result'>;
  readonly collectorProbes: Counter<'result'>;
}

/** A registry of its own per process (and per test), with Node's default process metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const registers = [registry];
  return {
    registry,
    reviews: zeroed(
      new Counter({
        name: 'aigw_otel_injector_reviews_total',
        help: 'Admission reviews answered, by webhook, outcome and decision reason',
        labelNames: ['webhook', 'outcome', 'reason'],
        registers,
      }),
      // The series AigwOtelInjectorFailingOpen counts (only pod reviews can fail open).
      [{ webhook: 'mutate-pods', outcome: 'failed_open', reason: 'internal-error' }],
    ),
    reviewDuration: new Histogram({
      name: 'aigw_otel_injector_review_duration_seconds',
      help: 'Time from a parsed review to its answer',
      labelNames: ['webhook'],
      // Sub-millisecond buckets for our own latency, then the API server's own first buckets.
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.025, 0.1, 0.5, 1, 2.5],
      registers,
    }),
    injections: new Counter({
      name: 'aigw_otel_injector_injections_total',
      help: 'AI Gateway pods seen, by role and what was done to them',
      labelNames: ['role', 'result'],
      registers,
    }),
    namespaces: new Gauge({
      name: 'aigw_otel_injector_namespaces',
      help: 'Namespaces known to the injector',
      registers,
    }),
    namespacesSynced: new Gauge({
      name: 'aigw_otel_injector_namespaces_synced',
      help: '1 once the namespaces are known (the file read, or the first list arrived); 0 before',
      registers,
    }),
    namespaceLastEvent: new Gauge({
      name: 'aigw_otel_injector_namespace_watch_last_event_timestamp_seconds',
      help: 'Cluster mode: when the namespace list or watch last said anything, bookmarks included (Unix time)',
      registers,
    }),
    warnings: new Counter({
      name: 'aigw_otel_injector_warnings_total',
      help: 'Warnings given with pod reviews, by annotation (our keys; unknown, role, container or pod otherwise) and kind',
      labelNames: ['annotation', 'kind'],
      registers,
    }),
    namespaceReloads: new Counter({
      name: 'aigw_otel_injector_namespace_reloads_total',
      help: 'Loads of the namespace source, by result',
      labelNames: ['result'],
      registers,
    }),
    certificateExpiry: new Gauge({
      name: 'aigw_otel_injector_certificate_expiry_timestamp_seconds',
      help: 'When the serving certificate in use expires (Unix time)',
      registers,
    }),
    certificateReloads: new Counter({
      name: 'aigw_otel_injector_certificate_reloads_total',
      help: 'Loads of the serving certificate, by result',
      labelNames: ['result'],
      registers,
    }),
    ...rolloutMetrics(registers),
    ...collectorProbeMetrics(registers),
  };
}

/** What the collector probe reports (src/rollout/collector-monitor.ts). */
function collectorProbeMetrics(registers: Registry[]): Pick<Metrics, 'collectorProbe' | 'collectorProbes'> {
  return {
    collectorProbe: new Gauge({
      name: 'aigw_otel_injector_collector_probe',
      help: "1 for each configured namespace's latest collector probe result (one series per namespace; leader)",
      labelNames: ['namespace', 'result'],
      registers,
    }),
    collectorProbes: new Counter({
      name: 'aigw_otel_injector_collector_probes_total',
      help: 'Connections made to collector endpoints by the probe (one per endpoint and CA per period), by result',
      labelNames: ['result'],
      registers,
    }),
  };
}

/** What the leader's auto-rollout and drift report count. */
function rolloutMetrics(registers: Registry[]): Pick<Metrics, 'leader' | 'rollouts' | 'podsUnconfigured'> {
  return {
    leader: new Gauge({
      name: 'aigw_otel_injector_leader',
      help: '1 while this replica holds the auto-rollout Lease',
      registers,
    }),
    rollouts: zeroed(
      new Counter({
        name: 'aigw_otel_injector_rollouts_total',
        help: 'Auto-rollout patches of workloads, by kind and result (rolled, healed, failed, gone)',
        labelNames: ['kind', 'result'],
        registers,
      }),
      // The series AigwOtelInjectorRolloutsFailing counts.
      WORKLOAD_KINDS.map((kind) => ({ kind, result: 'failed' })),
    ),
    podsUnconfigured: new Gauge({
      name: 'aigw_otel_injector_pods_unconfigured',
      help: 'Running AI Gateway pods of configured namespaces whose telemetry configuration is missing or stale (leader)',
      labelNames: ['namespace', 'state'],
      registers,
    }),
  };
}

/**
 * The counter with these series exported at 0 from the start. increase() takes a series' first sample as its
 * baseline, so a counter first scraped at 1 counts nothing: without the 0, a replica's first failed open or failed
 * rollout would never fire its alert (test/prometheus/rules-tests, test/prometheus/scrape.test.ts).
 */
function zeroed<T extends string>(counter: Counter<T>, series: readonly Partial<Record<T, string>>[]): Counter<T> {
  for (const labels of series) counter.inc(labels, 0);
  return counter;
}
