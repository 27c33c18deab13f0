import { ownAnnotations, type Annotations } from '../core/read-annotations.js';
import { podDrift, type PodTelemetry } from '../core/drift.js';
import type { Pod } from '../core/pod.js';
import { autoRolloutOn, configHash, healNeeded, HEALED, type Workload } from '../core/rollout.js';
import type { WorkloadRef } from '../core/workload-ref.js';
import { KubeError } from '../kube/api.js';
import type { EventTarget } from '../kube/events.js';
import { sleep } from '../kube/backoff.js';
import type { RolloutDeps } from './auto-rollout.js';

export { HEALED } from '../core/rollout.js';

export interface DriftTuning {
  /** How often every configured namespace's pods are listed. */
  readonly periodMs: number;
  /** Between two heals in one namespace, so its gateways do not all restart at the same instant. */
  readonly healPacingMs: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULT_DRIFT_TUNING: DriftTuning = {
  // Pods missing their configuration are found within minutes; a list of one namespace's pods per period is cheap.
  periodMs: 5 * 60_000,
  // A Deployment's own rollout takes tens of seconds; spacing heals keeps most of a namespace's gateways serving.
  healPacingMs: 30_000,
  requestTimeoutMs: 10_000, // off the review path; a namespace's pod list
};

/** What auto-rollout works with, plus Warning Events and auto-rollout's own state, with the drift tuning. */
export interface DriftDeps extends Omit<RolloutDeps, 'tuning'> {
  readonly warn: (target: EventTarget, reason: string, message: string) => void;
  /** Whether auto-rollout is rolling the namespace (queued, under way, or retrying): no heal meanwhile. */
  readonly rolling: (namespace: string) => boolean;
  readonly tuning?: DriftTuning;
}

export const DRIFT_EVENT_REASON = 'TelemetryConfigMissing';

/** One workload's pods that lack their configuration, as one scan found them. */
interface Unconfigured {
  readonly ref: WorkloadRef;
  readonly hash: string;
  readonly state: PodTelemetry;
  pods: number;
}

/** The pods of a namespace by state, and the workloads whose pods are missing or stale. Pure. */
function tally(annotations: Annotations, pods: readonly Pod[]) {
  const counts: Record<PodTelemetry, number> = { configured: 0, missing: 0, stale: 0 };
  const workloads = new Map<string, Unconfigured>();
  for (const pod of pods) {
    const drift = podDrift(annotations, pod);
    if (drift === undefined) continue;
    counts[drift.state]++;
    if (drift.state === 'configured' || drift.workload === undefined) continue;
    const key = `${drift.workload.kind}/${drift.workload.name}`;
    const entry = workloads.get(key) ?? { ref: drift.workload, hash: drift.hash, state: drift.state, pods: 0 };
    entry.pods++;
    workloads.set(key, entry);
  }
  return { counts, unconfigured: [...workloads.values()] };
}

const find = (listed: readonly Workload[], ref: WorkloadRef) =>
  listed.find((w) => w.kind === ref.kind && w.name === ref.name);

/**
 * Finds running AI Gateway pods whose telemetry configuration is missing or stale, on the leader only, and reports
 * them: a gauge by namespace and state, a Warning Event on the owning workload, a log line. With auto-rollout on in
 * the namespace it also rolls those workloads, once per configuration and paced, never one whose template already
 * asks for the current configuration nor while auto-rollout is rolling the namespace.
 *
 * Why lists per configured namespace on a period, not a watch of pods: a cluster-wide pod watch would hold every
 * pod of the cluster in memory and need cluster-wide pod list/watch; the namespaces that opted in are few, and a
 * pod missing its configuration is not urgent to the second.
 */
export class DriftMonitor {
  private readonly stopper = new AbortController();
  private readonly reported = new Set<string>();
  /** The namespaces the gauge has series for, so one no longer configured can be dropped. */
  private gaugeNamespaces = new Set<string>();
  private readonly tuning: DriftTuning;
  private wake: (() => void) | undefined;
  /** A namespace changed (or leadership came) since the current scan began: scan again as soon as it ends. */
  private again = false;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: DriftDeps) {
    this.tuning = deps.tuning ?? DEFAULT_DRIFT_TUNING;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** A namespace changed: look again now, or as soon as the scan under way ends, rather than at the next period. */
  namespaceChanged(): void {
    this.again = true;
    this.wake?.();
  }

  /**
   * This replica no longer leads: its series go, so only the leader's counts are exported (a former leader's
   * would be summed with the new one's, and outdated). A scan under way stops at its next step.
   */
  leadershipLost(): void {
    this.deps.metrics.podsUnconfigured.reset();
    this.gaugeNamespaces = new Set();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      this.again = false;
      if (this.deps.isLeader()) await this.scanAll();
      if (this.again) continue;
      await this.waitForPeriodOrChange();
    }
  }

  /** Until the period is over, a change wakes it, or stop() (which calls wake too). */
  private async waitForPeriodOrChange(): Promise<void> {
    if (this.stopper.signal.aborted) return; // stopped during the scan: an aborted signal would fire no more
    const woken = new AbortController();
    this.wake = () => woken.abort();
    await sleep(this.tuning.periodMs, woken.signal);
    this.wake = undefined;
  }

  private leading(): boolean {
    return !this.stopper.signal.aborted && this.deps.isLeader();
  }

  /** One pass over every configured namespace. */
  private async scanAll(): Promise<void> {
    const seen = new Set<string>();
    for (const [name, annotations] of this.deps.namespaces()) {
      if (!this.leading()) return;
      if (ownAnnotations(annotations).size === 0) continue;
      seen.add(name);
      await this.scan(name, annotations);
    }
    if (!this.leading()) return;
    // A namespace no longer configured (or gone) drops out of the gauge.
    for (const name of this.gaugeNamespaces) {
      if (seen.has(name)) continue;
      for (const state of ['missing', 'stale'] as const)
        this.deps.metrics.podsUnconfigured.remove({ namespace: name, state });
    }
    this.gaugeNamespaces = seen;
  }

  private async scan(namespace: string, annotations: Annotations): Promise<void> {
    const { metrics } = this.deps;
    const pods = await this.list(namespace, 'pods', (timeoutMs) => this.deps.api.listPods(namespace, timeoutMs));
    // Lost the Lease while listing: whatever was found is the new leader's to report.
    if (pods === undefined || !this.leading()) return;
    const { counts, unconfigured } = tally(annotations, pods);
    metrics.podsUnconfigured.set({ namespace, state: 'missing' }, counts.missing);
    metrics.podsUnconfigured.set({ namespace, state: 'stale' }, counts.stale);
    this.gaugeNamespaces.add(namespace);
    if (unconfigured.length === 0) return;
    // The Events name each workload by its uid, which only its listing gives for a Deployment (its pods name
    // their ReplicaSet); without the list, the Events wait for the next scan (the gauge is set either way).
    const listed = await this.listWorkloads(namespace);
    if (listed === undefined || !this.leading()) return;
    // Pacing spaces restarts: only a heal that rolled a workload makes the next one wait. One that rolled nothing
    // (refused, or skipped because auto-rollout is at work or the template already asks for this configuration)
    // restarted nothing.
    let rolled = false;
    for (const entry of unconfigured) {
      if (!this.leading()) return;
      const workload = find(listed, entry.ref);
      if (workload === undefined) continue; // deleted since its pods were listed
      this.report(workload, entry);
      if (!autoRolloutOn(annotations) || !healNeeded(annotations, workload).heal) continue;
      if (rolled) await sleep(this.tuning.healPacingMs, this.stopper.signal);
      rolled = await this.heal(namespace, annotations, entry.ref);
    }
  }

  private listWorkloads(namespace: string): Promise<Workload[] | undefined> {
    return this.list(namespace, 'workloads', (timeoutMs) => this.deps.api.listWorkloads(namespace, timeoutMs));
  }

  private async list<T>(namespace: string, what: string, call: (timeoutMs: number) => Promise<T>) {
    try {
      return await call(this.tuning.requestTimeoutMs);
    } catch (error) {
      const status = error instanceof KubeError ? error.status : undefined;
      this.deps.logger.warn({ namespace, status, err: String(error) }, `drift: cannot list ${what}`);
      return undefined;
    }
  }

  private report(workload: Workload, { hash, state, pods }: Unconfigured): void {
    const { kind, name, namespace, uid } = workload;
    const key = `${namespace}/${kind}/${name}/${hash}/${state}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.deps.logger.warn({ namespace, kind, name, state, pods }, 'drift: pods without their telemetry configuration');
    const message = `${pods} running pod(s) have ${state === 'missing' ? 'no' : 'an out-of-date'} telemetry configuration; recreate them (auto-rollout does)`;
    this.deps.warn({ kind, name, namespace, apiVersion: 'apps/v1', uid }, DRIFT_EVENT_REASON, message);
  }

  /**
   * Rolls one workload by setting `healed`, after looking again just before: still leading, auto-rollout not at
   * work in the namespace, the namespace's configuration what this scan read (a change is the next scan's), and the
   * template, as listed now, not already asking for the current configuration. True when it rolled the workload.
   */
  private async heal(namespace: string, annotations: Annotations, ref: WorkloadRef): Promise<boolean> {
    const { api, logger, metrics } = this.deps;
    if (!this.leading() || this.deps.rolling(namespace)) return false;
    const listed = await this.listWorkloads(namespace);
    const current = this.deps.namespaces().get(namespace);
    if (listed === undefined || !this.leading() || this.deps.rolling(namespace)) return false;
    if (current === undefined || !autoRolloutOn(current) || configHash(current) !== configHash(annotations))
      return false;
    const workload = find(listed, ref);
    const needed = workload && healNeeded(current, workload);
    if (needed?.heal !== true) return false;
    try {
      await api.patchTemplateAnnotations(
        { ...ref, namespace },
        { [HEALED]: needed.hash },
        this.tuning.requestTimeoutMs,
      );
      metrics.rollouts.inc({ kind: ref.kind, result: 'healed' });
      logger.info(
        { namespace, kind: ref.kind, name: ref.name },
        'drift: workload rolled to give its pods their configuration',
      );
      return true;
    } catch (error) {
      metrics.rollouts.inc({ kind: ref.kind, result: 'failed' });
      logger.warn({ namespace, kind: ref.kind, name: ref.name, err: String(error) }, 'drift: heal failed');
      return false;
    }
  }
}
