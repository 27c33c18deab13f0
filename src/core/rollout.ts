import { createHash } from 'node:crypto';
import { annotation } from './annotations.js';
import type { Pod } from './pod.js';
import { readAnnotations, readEffective, type Annotations } from './read-annotations.js';
import { findTargets } from './targets.js';

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

/**
 * A short hash of the configuration a namespace's annotations give its pods: the parsed, valid values (a bad
 * value counts as absent, as it does at admission), without `auto-rollout` itself, in a fixed key order.
 */
export function configHash(namespace: Annotations | undefined): string {
  const { 'auto-rollout': _switch, ...values } = readAnnotations(namespace, 'namespace').values;
  const canonical = JSON.stringify(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1)));
  // 16 hex digits: a change detector, not a secret; short enough to read in `kubectl describe`.
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export function autoRolloutOn(namespace: Annotations | undefined): boolean {
  return readAnnotations(namespace, 'namespace').values['auto-rollout'] === true;
}

export type RolloutSkip = 'not-an-ai-gateway-workload' | 'already-at-hash' | 'never-rolled';

/**
 * Whether a workload should be rolled to `hash`: its template must be one the role rules match, and its
 * `config-hash` must differ. A template that never carried the annotation rolls only on an observed change
 * (`changed`), so turning `auto-rollout` on or restarting the injector does not restart every gateway.
 */
export function rolloutNeeded(
  namespace: Annotations | undefined,
  workload: Workload,
  hash: string,
  changed: boolean,
): { roll: true } | { roll: false; reason: RolloutSkip } {
  const { template } = workload;
  const values = readEffective(namespace, template.metadata?.annotations).values;
  const asPod: Pod = { metadata: template.metadata ?? {}, spec: template.spec };
  if (findTargets(asPod, values).targets.length === 0) return { roll: false, reason: 'not-an-ai-gateway-workload' };
  const current = template.metadata?.annotations?.[CONFIG_HASH];
  if (current === hash) return { roll: false, reason: 'already-at-hash' };
  if (current === undefined && !changed) return { roll: false, reason: 'never-rolled' };
  return { roll: true };
}
