import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { KubeError, type KubeApi } from './api.js';
import { sleep } from './backoff.js';
import type { LeaseRecord } from './lease-api.js';

export interface LeaderTuning {
  /** How long a Lease nobody renews stays with its holder. */
  readonly leaseSeconds: number;
  /** How often the holder renews and the others look. */
  readonly retryMs: number;
  /** A holder that could not renew for this long stops acting; below leaseSeconds, so two never act at once. */
  readonly renewDeadlineMs: number;
  readonly requestTimeoutMs: number;
}

// client-go's defaults for controllers (15 s / 2 s / 10 s).
export const DEFAULT_LEADER_TUNING: LeaderTuning = {
  leaseSeconds: 15, // a dead leader is replaced within 15-17 s
  retryMs: 2000, // one small GET (+ PUT when leading) per 2 s per replica
  renewDeadlineMs: 10_000, // steps down 5 s before anyone else may take over
  requestTimeoutMs: 2000, // a renewal slower than a retry period counts as failed
};

export interface LeaseRef {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
}

export interface LeaderCallbacks {
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
}

/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: the holder renews; the others take over
 * a Lease whose record has not changed for its duration *as they observed it* (their own clock, so clock skew
 * between nodes does not matter), writing with the resourceVersion they read so only one wins.
 */
export class LeaderElector {
  private leading = false;
  private observed: { version: string; at: number } | undefined;
  private lastRenewed = 0;
  private forbiddenTold = false;

  constructor(
    private readonly api: KubeApi,
    private readonly lease: LeaseRef,
    private readonly deps: { logger: Logger; metrics: Metrics } & LeaderCallbacks,
    private readonly tuning: LeaderTuning = DEFAULT_LEADER_TUNING,
    private readonly now: () => number = Date.now,
  ) {}

  isLeader(): boolean {
    return this.leading;
  }

  /** Tries, renews or watches the Lease until `signal` aborts, then gives it up if held. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.step();
      await sleep(this.tuning.retryMs, signal);
    }
    await this.release();
  }

  /** One round: acquire or renew, or learn that someone else holds it. */
  async step(): Promise<void> {
    try {
      this.set(await this.tryAcquireOrRenew());
    } catch (error) {
      const err = error instanceof Error ? error.message : String(error);
      const overdue = this.now() - this.lastRenewed > this.tuning.renewDeadlineMs;
      if (this.leading) this.deps.logger.warn({ err, overdue }, 'lease renewal failed');
      if (error instanceof KubeError && error.status === 403 && !this.forbiddenTold) {
        this.forbiddenTold = true;
        this.deps.logger.error(
          { err, lease: this.lease.name, namespace: this.lease.namespace },
          'auto-rollout is enabled but the Lease is not permitted: apply manifests/components/auto-rollout',
        );
      }
      if (overdue) this.set(false);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.lease;
    const { requestTimeoutMs, leaseSeconds } = this.tuning;
    const now = this.now();
    const fresh = (transitions: number): LeaseRecord => ({
      holder: identity,
      durationSeconds: leaseSeconds,
      transitions,
      acquireTime: new Date(now),
      renewTime: new Date(now),
    });
    const current = await this.api.getLease(namespace, name, requestTimeoutMs);
    if (current === null) {
      return this.written(await this.api.createLease(namespace, name, fresh(0), requestTimeoutMs));
    }
    const { record, version } = current;
    if (this.observed?.version !== version) this.observed = { version, at: now };
    const expired = record.holder === '' || now - this.observed.at > record.durationSeconds * 1000;
    if (record.holder !== identity && !expired) return false;
    const next: LeaseRecord =
      record.holder === identity
        ? { ...record, durationSeconds: leaseSeconds, renewTime: new Date(now) }
        : fresh(record.transitions + 1);
    return this.written(await this.api.updateLease(namespace, name, next, version, requestTimeoutMs));
  }

  private written(version: string): true {
    this.observed = { version, at: this.now() };
    this.lastRenewed = this.now();
    return true;
  }

  private set(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.deps.metrics.leader.set(leading ? 1 : 0);
    this.deps.logger.info({ lease: `${this.lease.namespace}/${this.lease.name}` }, leading ? 'leading' : 'not leading');
    if (leading) this.deps.onStartedLeading();
    else this.deps.onStoppedLeading();
  }

  /** Hands the Lease back at once, so another replica need not wait out its duration. */
  private async release(): Promise<void> {
    if (!this.leading) return;
    const { namespace, name } = this.lease;
    this.set(false);
    try {
      const current = await this.api.getLease(namespace, name, this.tuning.requestTimeoutMs);
      if (current === null || current.record.holder !== this.lease.identity) return;
      const released = { ...current.record, holder: '', durationSeconds: 1, renewTime: new Date(this.now()) };
      await this.api.updateLease(namespace, name, released, current.version, this.tuning.requestTimeoutMs);
    } catch (error) {
      this.deps.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'lease release failed');
    }
  }
}
