import { ownAnnotations, type Annotations } from '../core/read-annotations.js';
import { podDrift, type PodTelemetry } from '../core/drift.js';
import { annotation } from '../core/annotations.js';
import { autoRolloutOn } from '../core/rollout.js';
import type { WorkloadRef } from '../core/workload-ref.js';
import { KubeError } from '../kube/api.js';
import type { EventTarget } from '../kube/events.js';
import { sleep } from '../kube/backoff.js';
import type { RolloutDeps } from './auto-rollout.js';

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

/** What auto-rollout works with, plus Warning Events, with the drift monitor's own tuning. */
export interface DriftDeps extends Omit<RolloutDeps, 'tuning'> {
  readonly warn: (target: EventTarget, reason: string, message: string) => void;
  readonly tuning?: DriftTuning;
}

export const DRIFT_EVENT_REASON = 'TelemetryConfigMissing';
// The template annotation a heal sets to the configuration's hash: a changed template is what makes the workload
// replace its pods. Its own key, so auto-rollout's config-hash keeps meaning what it says.
export const HEALED = annotation('healed');

/**
 * Finds running AI Gateway pods whose telemetry configuration is missing or stale, on the leader only, and reports
 * them: a gauge by namespace and state, a Warning Event on the owning workload, a log line. With auto-rollout on in
 * the namespace it also rolls those workloads, once per configuration and paced.
 *
 * Why lists per configured namespace on a period, not a watch of pods: a cluster-wide pod watch would hold every
 * pod of the cluster in memory and need cluster-wide pod list/watch; the namespaces that opted in are few, and a
 * pod missing its configuration is not urgent to the second.
 */
export class DriftMonitor {
  private readonly stopper = new AbortController();
  private readonly healed = new Set<string>();
  private readonly reported = new Set<string>();
  /** The namespaces the gauge has series for, so one no longer configured can be dropped. */
  private gaugeNamespaces = new Set<string>();
  private readonly tuning: DriftTuning;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: DriftDeps) {
    this.tuning = deps.tuning ?? DEFAULT_DRIFT_TUNING;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** A namespace changed: look again soon rather than at the next period. */
  namespaceChanged(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      if (this.deps.isLeader()) await this.scanAll();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        void sleep(this.tuning.periodMs, this.stopper.signal).then(resolve);
      });
    }
  }

  /** One pass over every configured namespace. */
  private async scanAll(): Promise<void> {
    const seen = new Set<string>();
    for (const [name, annotations] of this.deps.namespaces()) {
      if (this.stopper.signal.aborted) return;
      if (ownAnnotations(annotations).size === 0) continue;
      seen.add(name);
      await this.scan(name, annotations);
    }
    // A namespace no longer configured (or gone) drops out of the gauge.
    for (const name of this.gaugeNamespaces) {
      if (seen.has(name)) continue;
      for (const state of ['missing', 'stale'] as const)
        this.deps.metrics.podsUnconfigured.remove({ namespace: name, state });
    }
    this.gaugeNamespaces = seen;
  }

  private async scan(namespace: string, annotations: Annotations): Promise<void> {
    const { api, logger, metrics } = this.deps;
    let pods;
    try {
      pods = await api.listPods(namespace, this.tuning.requestTimeoutMs);
    } catch (error) {
      const status = error instanceof KubeError ? error.status : undefined;
      logger.warn({ namespace, status, err: String(error) }, 'drift: cannot list pods');
      return;
    }
    const counts: Record<PodTelemetry, number> = { configured: 0, missing: 0, stale: 0 };
    const workloads = new Map<string, { ref: WorkloadRef; hash: string; state: PodTelemetry; pods: number }>();
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
    metrics.podsUnconfigured.set({ namespace, state: 'missing' }, counts.missing);
    metrics.podsUnconfigured.set({ namespace, state: 'stale' }, counts.stale);
    let first = true;
    for (const { ref, hash, state, pods: n } of workloads.values()) {
      this.report(namespace, ref, hash, state, n);
      if (!autoRolloutOn(annotations) || this.healed.has(`${namespace}/${ref.kind}/${ref.name}/${hash}`)) continue;
      if (!first) await sleep(this.tuning.healPacingMs, this.stopper.signal);
      first = false;
      await this.heal(namespace, ref, hash);
    }
  }

  private report(namespace: string, ref: WorkloadRef, hash: string, state: PodTelemetry, pods: number): void {
    const key = `${namespace}/${ref.kind}/${ref.name}/${hash}/${state}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.deps.logger.warn(
      { namespace, kind: ref.kind, name: ref.name, state, pods },
      'drift: pods without their telemetry configuration',
    );
    const message = `${pods} running pod(s) have ${state === 'missing' ? 'no' : 'an out-of-date'} telemetry configuration; recreate them (auto-rollout does)`;
    this.deps.warn({ kind: ref.kind, name: ref.name, namespace, apiVersion: 'apps/v1' }, DRIFT_EVENT_REASON, message);
  }

  private async heal(namespace: string, ref: WorkloadRef, hash: string): Promise<void> {
    const { api, logger, metrics } = this.deps;
    try {
      await api.patchTemplateAnnotations({ ...ref, namespace }, { [HEALED]: hash }, this.tuning.requestTimeoutMs);
      this.healed.add(`${namespace}/${ref.kind}/${ref.name}/${hash}`);
      metrics.rollouts.inc({ kind: ref.kind, result: 'healed' });
      logger.info(
        { namespace, kind: ref.kind, name: ref.name },
        'drift: workload rolled to give its pods their configuration',
      );
    } catch (error) {
      metrics.rollouts.inc({ kind: ref.kind, result: 'failed' });
      logger.warn({ namespace, kind: ref.kind, name: ref.name, err: String(error) }, 'drift: heal failed');
    }
  }
}
