import { describe, expect, it } from 'vitest';
import { isExactly, isUnset, withEnv } from '../../src/core/container-env.js';
import type { Container, EnvVar } from '../../src/core/pod.js';
import type { EnvSetting } from '../../src/core/settings.js';

const v = (name: string, value?: string): EnvVar => (value === undefined ? { name } : { name, value });
const ref = (name: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } });
const A: EnvSetting = { name: 'A', value: 'ours' };
const B: EnvSetting = { name: 'B', value: 'ours-b' };
const H: EnvSetting = { name: 'H', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } };

describe('env vars into a container', () => {
  it.each<[string, EnvVar[] | undefined, EnvSetting[], boolean, EnvVar[] | 'same', string[]]>([
    ['no env: added in order', undefined, [A, B], false, [A, B], []],
    ['after the pod ones', [v('X', '1')], [A], false, [v('X', '1'), A], []],
    ['already exactly there', [v('X', '1'), A], [A], false, 'same', []],
    ['nothing wanted', [v('X', '1')], [], false, 'same', []],
    ['set differently: kept', [v('A', 'mine')], [A, B], false, [v('A', 'mine'), B], ['A']],
    ['set differently, override: replaced in place', [v('A', 'mine'), v('X', '1')], [A], true, [A, v('X', '1')], []],
    ['set from a reference: kept', [ref('A')], [A], false, 'same', ['A']],
    ['empty value: filled in place', [v('A', ''), v('X', '1')], [A], false, [A, v('X', '1')], []],
    ['no value at all: filled in place', [v('A')], [A], false, [A], []],
    ['defined twice, one differently: both kept', [v('A', 'ours'), v('A', 'mine')], [A], false, 'same', ['A']],
    ['defined twice, exactly and unset: both ours', [v('A', 'ours'), v('A', '')], [A], false, [A, A], []],
    ['defined twice, override: both ours', [v('A', 'x'), v('A', 'y')], [A], true, [A, A], []],
    ['a reference wanted, the same one there', [ref('H')], [H], false, 'same', []],
  ])('%s', (...[, env, wanted, override, after, kept]) => {
    const c: Container = { name: 'aigw', ...(env ? { env } : {}) };
    const before = structuredClone(c);
    const result = withEnv(c, wanted, override);
    expect(c).toEqual(before);
    if (after === 'same') expect(result.container).toBe(c);
    else {
      expect(result.container).toEqual({ ...c, env: after });
      for (const e of result.container.env ?? [])
        expect(wanted.includes(e as EnvSetting), 'a copy, not our own object').toBe(false);
    }
    expect(result.kept).toEqual(kept);
  });

  it.each<[string, EnvVar | undefined, boolean]>([
    ['absent', undefined, false],
    ['no value', v('A'), true],
    ['an empty value', v('A', ''), true],
    ['a blank value', v('A', ' '), false],
    ['a value', v('A', 'x'), false],
    ['a reference', ref('A'), false],
    ['a reference and an empty value', { name: 'A', value: '', valueFrom: {} }, false],
  ])('unset: %s → %s', (_name, e, unset) => expect(isUnset(e)).toBe(unset));

  it.each<[string, EnvVar | undefined, boolean]>([
    ['the same value', v('A', 'ours'), true],
    ['another value', v('A', 'other'), false],
    ['another name', v('Z', 'ours'), false],
    ['an extra field', { name: 'A', value: 'ours', valueFrom: {} }, false],
    ['absent', undefined, false],
  ])('exactly ours: %s → %s', (_name, e, same) => expect(isExactly(e, A)).toBe(same));
});
