import { annotation } from './annotations.js';
import { configHash, valuesHash } from './config-hash.js';
import type { Pod } from './pod.js';
import { readAnnotations, readEffective, type Annotations } from './read-annotations.js';
import { findTargets } from './targets.js';

export { configHash } from './config-hash.js';

/** The pod-template annotation a rollout sets; a changed template is what makes the workload roll. */
export const CONFIG_HASH = annotation('config-hash');

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** A workload as the rollout reads it: its identity and its pod template. */
export interface Workload {
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly namespace: string;
  readonly uid?: string;
  readonly template: Pick<Pod, 'metadata' | 'spec'>;
}

export function autoRolloutOn(namespace: Annotations | undefined): boolean {
  // Stryker disable next-line StringLiteral: any origin but 'pod' reads auto-rollout the same way.
  return readAnnotations(namespace, 'namespace').values['auto-rollout'] === true;
}

export type RolloutSkip =
  'not-an-ai-gateway-workload' | 'injection-disabled' | 'already-at-hash' | 'unchanged' | 'never-rolled';

/**
 * Whether a workload should be rolled, and to which hash (its own effective configuration's). Never a workload
 * the role rules do not match, nor one whose effective configuration says `inject: "false"`. With `previous`
 * (the namespace's annotations before an observed change), only when that change altered this workload's
 * effective configuration; without it (a new leader catching up), only a workload carrying an out-of-date hash.
 * A template that never carried the annotation rolls only on an observed change, so turning `auto-rollout` on or
 * restarting the injector does not restart every gateway.
 */
export function rolloutNeeded(
  namespace: Annotations | undefined,
  workload: Workload,
  previous: Annotations | undefined,
): { roll: true; hash: string } | { roll: false; reason: RolloutSkip } {
  const { template } = workload;
  const own = template.metadata?.annotations;
  const values = readEffective(namespace, own).values;
  const asPod: Pod = { metadata: template.metadata ?? {}, spec: template.spec };
  if (findTargets(asPod, values).targets.length === 0) return { roll: false, reason: 'not-an-ai-gateway-workload' };
  if (values.inject === false) return { roll: false, reason: 'injection-disabled' };
  const hash = valuesHash(values);
  const current = own?.[CONFIG_HASH];
  if (current === hash) return { roll: false, reason: 'already-at-hash' };
  if (previous !== undefined && configHash(previous, own) === hash) return { roll: false, reason: 'unchanged' };
  if (current === undefined && previous === undefined) return { roll: false, reason: 'never-rolled' };
  return { roll: true, hash };
}
