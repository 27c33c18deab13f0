import type { Container, EnvVar } from './pod.js';
import type { EnvSetting } from './settings.js';

export interface EnvResult {
  readonly container: Container;
  /** Names the container already defined differently and that were left as they are. */
  readonly kept: readonly string[];
}

/** The entry already says exactly what we would write (a value, or the same reference). */
export const isExactly = (e: EnvVar | undefined, want: EnvSetting | EnvVar): boolean =>
  JSON.stringify(e) === JSON.stringify(want);

/**
 * An entry that configures nothing: the OTel specification has SDKs treat an empty value as unset, and an entry
 * with neither `value` nor `valueFrom` gives an empty one.
 */
export const isUnset = (e: EnvVar | undefined): boolean =>
  e !== undefined && e.valueFrom === undefined && (e.value === undefined || e.value === '');

/**
 * The container with each wanted env var defined. An existing definition (by value or valueFrom) is kept unless
 * `override`; an unset one is filled in place; never a second entry of the same name. Returns the same object if
 * nothing changes.
 */
export function withEnv(container: Container, wanted: readonly EnvSetting[], override: boolean): EnvResult {
  const env: EnvVar[] = [...(container.env ?? [])];
  const kept: string[] = [];
  let changed = false;
  for (const want of wanted) {
    const existing = env.flatMap((e, i) => (e.name === want.name ? [i] : []));
    if (existing.length === 0) {
      env.push({ ...want });
      changed = true;
      continue;
    }
    if (existing.every((i) => isExactly(env[i], want))) continue;
    if (override || existing.every((i) => isUnset(env[i]) || isExactly(env[i], want))) {
      for (const i of existing) env[i] = { ...want };
      changed = true;
    } else {
      kept.push(want.name);
    }
  }
  return { container: changed ? { ...container, env } : container, kept };
}
