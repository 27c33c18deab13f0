import {
  caMissing,
  combine,
  groupProbes,
  NODE_LOCAL,
  probeEvents,
  probePlan,
  type CaRead,
  type NamespaceProbe,
  type Outcome,
  type ProbeGroup,
  type ProbeTarget,
} from '../core/collector-probe.js';
import type { Annotations } from '../core/read-annotations.js';
import type { KubeApi } from '../kube/api.js';
import { sleep } from '../kube/backoff.js';
import type { EventTarget } from '../kube/events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface ProbeTuning {
  /** How often every configured namespace's endpoints are probed (a namespace change probes it at once). */
  readonly periodMs: number;
  /** One probe's deadline: connect, handshake and preface together. */
  readonly timeoutMs: number;
}

// Probes of distinct endpoints run at once up to this many; one endpoint's probes (one per CA) run one at a time.
const ENDPOINTS_AT_ONCE = 8;
// CA ConfigMap GETs at once: a scan of 10,000 namespaces takes seconds, without a burst on the API server.
const READS_AT_ONCE = 8;
// Off the review path; one small ConfigMap.
const READ_TIMEOUT_MS = 10_000;

export type Probe = (target: ProbeTarget, ca: string | undefined, timeoutMs: number) => Promise<Outcome>;

export interface CollectorMonitorDeps {
  readonly api: Pick<KubeApi, 'getConfigMapValue'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly namespaces: () => ReadonlyMap<string, Annotations>;
  /** The Lease holder probes; without auto-rollout (no Lease) every replica does. */
  readonly isLeader: () => boolean;
  readonly record: (target: EventTarget, reason: string, message: string, type: 'Warning' | 'Normal') => void;
  readonly probe: Probe;
  /** From the configuration (COLLECTOR_PROBE_INTERVAL_MS, COLLECTOR_PROBE_TIMEOUT_MS). */
  readonly tuning: ProbeTuning;
}

/**
 * Is each configured namespace's Collector reachable with what the injector gives its pods? On the leader, every
 * period and when a namespace changes: the namespace's endpoints are probed with the CA its ConfigMap holds, each
 * (endpoint, CA) once per period however many namespaces share it, and the result is reported as a gauge (one series
 * per namespace), an Event on the Namespace when it changes, and a log line.
 *
 * It runs from the injector's network, not the pods': a NetworkPolicy may let one through and not the other.
 */
export class CollectorMonitor {
  private readonly stopper = new AbortController();
  /** Each namespace's last result: its gauge series and what a change is measured against. */
  private results = new Map<string, Outcome>();
  /** This period's probe results by key; a scan of changed namespaces reuses them. */
  private cache = new Map<string, Outcome>();
  /** Namespaces changed since the last scan began; `all` once the period is over or leadership came. */
  private dirty = new Set<string>();
  private all = true;
  /** When the next full scan is due (Date.now() time). */
  private nextFullAt = 0;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: CollectorMonitorDeps) {}

  private get tuning(): ProbeTuning {
    return this.deps.tuning;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** A namespace changed: probe it now, or as soon as the scan under way ends. */
  namespaceChanged(name: string): void {
    this.dirty.add(name);
    this.wake?.();
  }

  /** This replica leads now: probe everything afresh. */
  leadershipAcquired(): void {
    this.all = true;
    this.wake?.();
  }

  /** No longer leading: its series go (only the leader's are exported), and it starts afresh if it leads again. */
  leadershipLost(): void {
    this.deps.metrics.collectorProbe.reset();
    this.results = new Map();
    this.cache = new Map();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      if (Date.now() >= this.nextFullAt) this.all = true;
      const full = this.all;
      const changed = this.dirty;
      if (full) this.nextFullAt = Date.now() + this.tuning.periodMs;
      this.all = false;
      this.dirty = new Set();
      if (this.deps.isLeader() && (full || changed.size > 0)) await this.scan(full ? undefined : changed);
      if (this.all || this.dirty.size > 0) continue;
      await this.waitForPeriodOrChange();
    }
  }

  private async waitForPeriodOrChange(): Promise<void> {
    if (this.stopper.signal.aborted) return;
    const woken = new AbortController();
    this.wake = () => woken.abort();
    // Until the next full scan, not a whole period from now: changes every few minutes must not postpone it.
    await sleep(Math.max(0, this.nextFullAt - Date.now()), woken.signal);
    this.wake = undefined;
  }

  private leading(): boolean {
    return !this.stopper.signal.aborted && this.deps.isLeader();
  }

  /** One pass: every configured namespace (`only` undefined, a new period), or just the changed ones. */
  private async scan(only: ReadonlySet<string> | undefined): Promise<void> {
    if (only === undefined) this.cache = new Map();
    const all = this.deps.namespaces();
    const names = only === undefined ? [...all.keys()] : [...only];
    const outcomes = new Map<string, Outcome>();
    const unread = new Set<string>();
    const probes: NamespaceProbe[] = [];
    // One copy of each distinct CA for the scan: 10,000 namespaces sharing one CA hold one string, not 10,000.
    const cas = new Map<string, string>();
    const shared = (ca: string) => cas.get(ca) ?? (cas.set(ca, ca), ca);
    await inBatches(names, READS_AT_ONCE, async (namespace) => {
      if (!this.leading()) return;
      const annotations = all.get(namespace);
      const plan = annotations === undefined ? ({ kind: 'none' } as const) : probePlan(annotations, namespace);
      if (plan.kind === 'none') return;
      if (plan.kind === 'node-local') return void outcomes.set(namespace, NODE_LOCAL);
      if (plan.ca === undefined) return void probes.push({ namespace, targets: plan.targets, ca: undefined });
      const read = await this.readCa(namespace, plan.ca.configMap, plan.ca.key);
      if (read === undefined) return void unread.add(namespace); // its last result stands until the next scan
      const missing = caMissing(plan.ca, read);
      if (missing !== undefined) outcomes.set(namespace, missing);
      else if ('ca' in read) probes.push({ namespace, targets: plan.targets, ca: shared(read.ca) });
    });
    if (!this.leading()) return;
    const { byEndpoint, keysOf } = groupProbes(probes);
    await inBatches([...byEndpoint.values()], ENDPOINTS_AT_ONCE, async (groups) => {
      for (const group of groups) if (!this.cache.has(group.key)) this.cache.set(group.key, await this.probe(group));
    });
    // Lost the Lease while probing: what was found is the new leader's to report.
    if (!this.leading()) return;
    for (const { namespace, targets } of probes) {
      const keys = keysOf.get(namespace) ?? [];
      const each = targets.map((t, i) => ({ endpoint: t.endpoint, outcome: this.cache.get(keys[i] ?? '') }));
      if (each.every((e): e is { endpoint: string; outcome: Outcome } => e.outcome !== undefined))
        outcomes.set(namespace, combine(each));
      else unread.add(namespace);
    }
    this.report(
      outcomes,
      names.filter((n) => !unread.has(n)),
      only === undefined,
    );
  }

  private async probe(group: ProbeGroup): Promise<Outcome> {
    const outcome = await this.deps.probe(group.target, group.ca, this.tuning.timeoutMs);
    this.deps.metrics.collectorProbes.inc({ result: outcome.result });
    return outcome;
  }

  private async readCa(namespace: string, configMap: string, key: string): Promise<CaRead | undefined> {
    try {
      const read = await this.deps.api.getConfigMapValue(namespace, configMap, key, READ_TIMEOUT_MS);
      if (read === null) return { kind: 'missing-configmap' };
      if (read.value === undefined) return { kind: 'missing-key' };
      return { ca: read.value };
    } catch (error) {
      this.deps.logger.warn({ namespace, configMap, err: String(error) }, 'collector probe: cannot read the CA');
      return undefined;
    }
  }

  /**
   * Sets the gauge and records the Events of changed results. `scanned` are the namespaces this scan looked at: one
   * of them without a result now (no longer configured, or gone) drops out of the gauge; after a full scan so does
   * every namespace not known any more.
   */
  private report(outcomes: ReadonlyMap<string, Outcome>, scanned: readonly string[], full: boolean): void {
    const { metrics, logger, record } = this.deps;
    for (const event of probeEvents(this.results, outcomes)) {
      const { namespace, reason, message, type } = event;
      record({ kind: 'Namespace', name: namespace, namespace, apiVersion: 'v1' }, reason, message, type);
      const log = type === 'Warning' ? logger.warn.bind(logger) : logger.info.bind(logger);
      log({ namespace, result: outcomes.get(namespace)?.result }, `collector probe: ${message}`);
    }
    for (const namespace of scanned) {
      const before = this.results.get(namespace);
      const now = outcomes.get(namespace);
      if (before !== undefined && before.result !== now?.result)
        metrics.collectorProbe.remove({ namespace, result: before.result });
      if (now === undefined) this.results.delete(namespace);
      else {
        metrics.collectorProbe.set({ namespace, result: now.result }, 1);
        this.results.set(namespace, now);
      }
    }
    if (!full) return;
    const known = this.deps.namespaces();
    for (const [namespace, before] of this.results) {
      if (known.has(namespace)) continue;
      metrics.collectorProbe.remove({ namespace, result: before.result });
      this.results.delete(namespace);
    }
  }
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function inBatches<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
