import { annotation } from './annotations.js';
import { configHash, valuesHash } from './config-hash.js';
import type { Pod } from './pod.js';
import { readAnnotations, readEffective, type Annotations } from './read-annotations.js';
import { findTargets } from './targets.js';

export { configHash } from './config-hash.js';

/** The pod-template annotation a rollout sets; a changed template is what makes the workload roll. */
export const CONFIG_HASH = annotation('config-hash');
// The template annotation the drift monitor's heal sets to the configuration's hash: a changed template is what
// makes the workload replace its pods. Its own key, so auto-rollout's config-hash keeps meaning what it says.
export const HEALED = annotation('healed');

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

/**
 * The configuration hash a pod template asks for: its `healed` when it has one (a rollout removes it, so one that
 * is there was set after the last rollout), else its `config-hash`.
 */
export function requestedHash(template: Annotations | undefined): string | undefined {
  return template?.[HEALED] ?? template?.[CONFIG_HASH];
}

/** The template annotations a rollout to `hash` writes: config-hash, and a heal's older `healed` removed. */
export function rolloutAnnotations(workload: Workload, hash: string): Record<string, string | null> {
  const healed = workload.template.metadata?.annotations?.[HEALED] !== undefined;
  return { [CONFIG_HASH]: hash, ...(healed ? { [HEALED]: null } : {}) };
}

/** Why a template needs nothing, whatever changed: not a gateway, opted out, or already asking for the hash. */
export type TemplateSkip = 'not-an-ai-gateway-workload' | 'injection-disabled' | 'already-at-hash';
export type RolloutSkip = TemplateSkip | 'unchanged' | 'never-rolled';

type Effective = { hash: string; own: Annotations | undefined } | { reason: TemplateSkip };

/** The hash of a workload's own effective configuration, unless it is no AI Gateway workload or opted out. */
function effectiveHash(namespace: Annotations | undefined, workload: Workload): Effective {
  const { template } = workload;
  const own = template.metadata?.annotations;
  const values = readEffective(namespace, own).values;
  const asPod: Pod = { metadata: template.metadata ?? {}, spec: template.spec };
  if (findTargets(asPod, values).targets.length === 0) return { reason: 'not-an-ai-gateway-workload' };
  if (values.inject === false) return { reason: 'injection-disabled' };
  const hash = valuesHash(values);
  return requestedHash(own) === hash ? { reason: 'already-at-hash' } : { hash, own };
}

/**
 * Whether a workload should be rolled, and to which hash (its own effective configuration's). Never a workload
 * the role rules do not match, nor one whose effective configuration says `inject: "false"`, nor one whose
 * template already asks for that hash (by `config-hash` or a heal's `healed`). With `previous` (the namespace's
 * annotations before an observed change), only when that change altered this workload's effective configuration;
 * without it (a new leader catching up), only a workload carrying an out-of-date hash. A template that never
 * carried either annotation rolls only on an observed change, so turning `auto-rollout` on or restarting the
 * injector does not restart every gateway.
 */
export function rolloutNeeded(
  namespace: Annotations | undefined,
  workload: Workload,
  previous: Annotations | undefined,
): { roll: true; hash: string } | { roll: false; reason: RolloutSkip } {
  const effective = effectiveHash(namespace, workload);
  if ('reason' in effective) return { roll: false, reason: effective.reason };
  const { hash, own } = effective;
  if (previous !== undefined && configHash(previous, own) === hash) return { roll: false, reason: 'unchanged' };
  if (requestedHash(own) === undefined && previous === undefined) return { roll: false, reason: 'never-rolled' };
  return { roll: true, hash };
}

/**
 * Whether the drift monitor should heal a workload whose pods lack their configuration, and to which hash: not
 * one whose template already asks for the current configuration (whichever annotation carries it: its rollout is
 * under way, and another patch would roll it twice), nor one the role rules do not match or that is opted out.
 */
export function healNeeded(
  namespace: Annotations | undefined,
  workload: Workload,
): { heal: true; hash: string } | { heal: false; reason: TemplateSkip } {
  const effective = effectiveHash(namespace, workload);
  return 'reason' in effective ? { heal: false, reason: effective.reason } : { heal: true, hash: effective.hash };
}
