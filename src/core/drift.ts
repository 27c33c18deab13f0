import { annotation } from './annotations.js';
import { configHash } from './config-hash.js';
import { decide } from './inject.js';
import type { Pod } from './pod.js';
import type { Annotations } from './read-annotations.js';
import { workloadOf, type WorkloadRef } from './workload-ref.js';

/** How a running pod's telemetry configuration compares with what the webhook would give it now. */
export type PodTelemetry = 'configured' | 'missing' | 'stale';

export interface PodDrift {
  readonly state: PodTelemetry;
  /** The hash of the configuration the pod should have. */
  readonly hash: string;
  /** The workload that owns it, when it has one: where to report, what to roll. */
  readonly workload: WorkloadRef | undefined;
}

/**
 * Whether a running AI Gateway pod has the configuration its namespace gives it now: `missing` when it was never
 * configured but the webhook would change it today (created while the injector was down, or before the namespace
 * was annotated), `stale` when its `injected-hash` is not the current one. Undefined for pods the webhook leaves
 * alone (not AI Gateway, opted out, or nothing to inject).
 */
export function podDrift(namespace: Annotations | undefined, pod: Pod): PodDrift | undefined {
  const own = pod.metadata?.annotations;
  // Only whether the webhook would act counts here, so no cluster facts are needed.
  const decision = decide(namespace, pod);
  if (['malformed-pod', 'not-an-ai-gateway-pod', 'injection-disabled'].includes(decision.reason)) return undefined;
  const hash = configHash(namespace, own);
  const workload = workloadOf(pod);
  if (own?.[annotation('injected')] !== undefined) {
    return { state: own[annotation('injected-hash')] === hash ? 'configured' : 'stale', hash, workload };
  }
  return decision.inject ? { state: 'missing', hash, workload } : undefined;
}
