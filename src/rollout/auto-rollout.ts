import type { Annotations } from '../core/read-annotations.js';
import {
  autoRolloutOn,
  configHash,
  CONFIG_HASH,
  rolloutAnnotations,
  rolloutNeeded,
  type Workload,
} from '../core/rollout.js';
import { KubeError, type KubeApi } from '../kube/api.js';
import { backoffMs, sleep } from '../kube/backoff.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface RolloutTuning {
  readonly requestTimeoutMs: number;
  /** Attempts per namespace change before giving up (each failure waits longer). */
  readonly attempts: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
}

export const DEFAULT_ROLLOUT_TUNING: RolloutTuning = {
  requestTimeoutMs: 5000, // lists of one namespace's workloads; off the review path
  attempts: 5, // ~1 minute of retries covers an API server restart
  backoffBaseMs: 1000,
  backoffCapMs: 30_000,
};

export interface RolloutDeps {
  readonly api: KubeApi;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly isLeader: () => boolean;
  /** The namespaces as the informer holds them now. */
  readonly namespaces: () => ReadonlyMap<string, Annotations>;
  readonly tuning?: RolloutTuning;
}

export const ROLLOUT_EVENT_REASON = 'TelemetryConfigRollout';

/**
 * Rolls the AI Gateway workloads of `auto-rollout` namespaces when their telemetry configuration changes, by
 * setting `aigw-otel.io/config-hash` on the pod template. Only the leader acts. One namespace at a time, each
 * change once: a workload already at the hash is left alone, so repeated events and other replicas add nothing.
 */
/** What is pending for a namespace: the annotations before the first unhandled change, and/or a catch-up. */
interface Pending {
  /** Before the change; workloads roll only if the change altered their effective configuration. */
  readonly previous?: Annotations;
  /** A new leader's catch-up: workloads carrying an out-of-date hash. */
  readonly catchUp: boolean;
}

export class AutoRollout {
  private readonly queue = new Map<string, Pending>();
  private readonly failures = new Map<string, number>();
  /** The namespace being rolled now, and those waiting out a backoff before their next attempt. */
  private active: string | undefined;
  private readonly retrying = new Set<string>();
  private running: Promise<void> | undefined;
  private readonly stopper = new AbortController();
  private readonly tuning: RolloutTuning;

  constructor(private readonly deps: RolloutDeps) {
    this.tuning = deps.tuning ?? DEFAULT_ROLLOUT_TUNING;
  }

  /**
   * From the informer: a namespace's annotations changed. A namespace that appears is no change (GitOps creates
   * it together with its workloads, which are configured at admission), nor one that goes.
   */
  namespaceChanged(name: string, previous: Annotations | undefined, current: Annotations | undefined): void {
    if (previous === undefined || current === undefined || !autoRolloutOn(current)) return;
    if (configHash(previous) === configHash(current)) return;
    this.enqueue(name, { previous, catchUp: false });
  }

  /** From the elector: reconcile every auto-rollout namespace's workloads that carry an old hash. */
  leadershipAcquired(): void {
    for (const [name, annotations] of this.deps.namespaces()) {
      if (autoRolloutOn(annotations)) this.enqueue(name, { catchUp: true });
    }
  }

  /**
   * Whether a rollout of the namespace is queued, under way or waiting to be retried: the drift monitor leaves its
   * workloads alone meanwhile, so one change rolls a workload once.
   */
  rolling(namespace: string): boolean {
    return this.queue.has(namespace) || this.active === namespace || this.retrying.has(namespace);
  }

  /** Resolves when nothing is queued or running; for tests and shutdown. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  stop(): void {
    this.stopper.abort();
    this.queue.clear();
    this.retrying.clear();
  }

  private enqueue(name: string, pending: Pending): void {
    if (this.stopper.signal.aborted) return;
    const queued = this.queue.get(name);
    // The earliest `previous` is what the workloads were configured from.
    this.queue.set(name, {
      previous: queued?.previous ?? pending.previous,
      catchUp: (queued?.catchUp ?? false) || pending.catchUp,
    });
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    for (let next = this.take(); next !== undefined; next = this.take()) {
      const [name, pending] = next;
      if (!this.deps.isLeader()) {
        this.deps.logger.debug({ namespace: name }, 'auto-rollout: not the leader, leaving it to the leader');
        continue;
      }
      this.active = name;
      try {
        const ok = await this.rollNamespace(name, pending);
        if (ok) this.failures.delete(name);
        else void this.retryLater(name, pending); // marks the namespace retrying before it stops being active
      } finally {
        this.active = undefined;
      }
    }
  }

  private take(): [string, Pending] | undefined {
    const first = this.queue.entries().next();
    if (first.done === true) return undefined;
    this.queue.delete(first.value[0]);
    return first.value;
  }

  private async retryLater(name: string, pending: Pending): Promise<void> {
    const { logger } = this.deps;
    const { tuning } = this;
    const failures = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, failures);
    if (failures >= tuning.attempts) {
      logger.error({ namespace: name, failures }, 'auto-rollout: giving up on this change');
      this.failures.delete(name);
      return;
    }
    this.retrying.add(name);
    await sleep(backoffMs(failures, tuning.backoffBaseMs, tuning.backoffCapMs), this.stopper.signal);
    this.enqueue(name, pending);
    this.retrying.delete(name);
  }

  /** Rolls what needs rolling in one namespace; false when something failed and the namespace should be retried. */
  private async rollNamespace(name: string, pending: Pending): Promise<boolean> {
    const { api, logger } = this.deps;
    const { tuning } = this;
    const annotations = this.deps.namespaces().get(name);
    if (annotations === undefined || !autoRolloutOn(annotations)) return true;
    let workloads: Workload[];
    try {
      workloads = await api.listWorkloads(name, tuning.requestTimeoutMs);
    } catch (error) {
      logger.warn({ namespace: name, err: messageOf(error) }, 'auto-rollout: cannot list workloads');
      return false;
    }
    let ok = true;
    for (const workload of workloads) {
      const needed = [
        ...(pending.previous === undefined ? [] : [rolloutNeeded(annotations, workload, pending.previous)]),
        ...(pending.catchUp ? [rolloutNeeded(annotations, workload, undefined)] : []),
      ].find((n) => n.roll);
      if (needed === undefined) continue;
      ok = (await this.roll(workload, needed.hash)) && ok;
    }
    return ok;
  }

  private async roll(workload: Workload, hash: string): Promise<boolean> {
    const { api, logger, metrics } = this.deps;
    const { tuning } = this;
    const { kind, name, namespace } = workload;
    try {
      await api.patchTemplateAnnotations(workload, rolloutAnnotations(workload, hash), tuning.requestTimeoutMs);
    } catch (error) {
      // Deleted since the list: nothing to roll.
      const gone = error instanceof KubeError && error.status === 404;
      metrics.rollouts.inc({ kind, result: gone ? 'gone' : 'failed' });
      if (gone) return true;
      logger.warn({ namespace, kind, name, err: messageOf(error) }, 'auto-rollout: patch failed');
      return false;
    }
    metrics.rollouts.inc({ kind, result: 'rolled' });
    logger.info({ namespace, kind, name, hash }, 'auto-rollout: workload rolled to the new telemetry configuration');
    await this.record(workload, hash);
    return true;
  }

  /**
   * A Normal Event on the workload; one per workload and hash (a second replica's attempt gets 409). It names the
   * workload by its uid as listed, as `kubectl describe` looks Events up; the API server lists every object with one.
   */
  private async record(workload: Workload, hash: string): Promise<void> {
    const { kind, name, namespace, uid } = workload;
    try {
      await this.deps.api.createEvent({
        name: `${name}.aigw-otel-rollout.${hash}`,
        namespace,
        involvedObject: { kind, name, namespace, apiVersion: 'apps/v1', uid },
        reason: ROLLOUT_EVENT_REASON,
        message: `Rolled to ${CONFIG_HASH}=${hash}: the namespace's telemetry annotations changed`,
        count: 1,
        time: new Date().toISOString(),
        type: 'Normal',
      });
    } catch (error) {
      if (!(error instanceof KubeError && error.status === 409)) {
        this.deps.logger.warn({ namespace, kind, name, err: messageOf(error) }, 'auto-rollout: event not recorded');
      }
    }
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
