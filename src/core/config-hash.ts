import { createHash } from 'node:crypto';
import { readEffective, type Annotations, type Values } from './read-annotations.js';

/**
 * A short hash of parsed, valid annotation values (a bad value counts as absent, as it does at admission), without
 * `auto-rollout` itself, in a fixed key order: whitespace, key order and spelling (`10s` or `10000`) change nothing.
 */
export function valuesHash(values: Values): string {
  const { 'auto-rollout': _switch, ...rest } = values;
  // Stryker disable next-line EqualityOperator: object keys are unique, so the comparator never sees a tie.
  const canonical = JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
  // 16 hex digits: a change detector, not a secret; short enough to read in `kubectl describe`.
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/**
 * The hash of the configuration a namespace's annotations give its pods — or, with a pod's (or pod template's)
 * annotations, that pod's (its own keys win, as at admission).
 */
export function configHash(namespace: Annotations | undefined, pod?: Annotations): string {
  return valuesHash(readEffective(namespace, pod).values);
}
