/** OTEL_RESOURCE_ATTRIBUTES text: the length cap, exact messages, keys of an existing value, entries left out. */
import { describe, expect, it } from 'vitest';
import { keysIn, parseAttributeList, withoutKeys } from '../../src/core/attribute-list.js';

const LONG_KEY = 'k'.repeat(45);

describe('parsing resource-attributes', () => {
  it.each<[string, string, { value: unknown } | { error: string }]>([
    ['exactly 4096 characters', `k=${'v'.repeat(4094)}`, { value: [{ key: 'k', value: 'v'.repeat(4094) }] }],
    ['4097 characters', `k=${'v'.repeat(4095)}`, { error: 'longer than 4096 characters' }],
    ['a blank entry', 'a=b, ', { error: 'empty entry (expected key=value,key=value)' }],
    ['an entry without =', 'a=b,c', { error: 'each entry must be key=value' }],
    [
      'a long bad key, shown cut to 40',
      `${LONG_KEY} x=1`,
      { error: `bad key "${LONG_KEY.slice(0, 40)}" (letters, digits and .-_ only, no spaces)` },
    ],
    ['a half percent escape', 'a=%2', { error: 'value of a must be percent-encoded (space %20, comma %2C, ; %3B)' }],
    ['a whole percent escape', 'a=%2C', { value: [{ key: 'a', value: '%2C' }] }],
    ['blanks around keys and values', ' a = b ', { value: [{ key: 'a', value: 'b' }] }],
  ])('%s', (_name, raw, expected) => {
    const parsed = parseAttributeList(raw);
    expect(parsed.ok ? { value: parsed.value } : { error: parsed.reason }).toEqual(expected);
  });
});

describe('an existing OTEL_RESOURCE_ATTRIBUTES value', () => {
  it.each<[string, string[]]>([
    ['a=1, b=2', ['a', 'b']],
    [' k8s.pod.name =x', ['k8s.pod.name']],
    ['abc', []],
    ['=v', []],
    ['a=1,,=2,b', ['a']],
    ['', []],
  ])('keys of %j: %j', (list, keys) => {
    expect([...keysIn(list)]).toEqual(keys);
  });

  it.each<[string, string[], string]>([
    ['a=1,b=2,c=3', ['b'], 'a=1,c=3'],
    ['a=1,b=2', ['z'], 'a=1,b=2'],
    ['a=1,,b=2', [], 'a=1,b=2'],
    ['a=1, ,b=2', [], 'a=1,b=2'],
    [' b =2,a=1', ['b'], 'a=1'],
    ['junk,a=1', ['a'], 'junk'],
    ['a=1', ['a'], ''],
  ])('%j without %j: %j', (list, drop, rest) => {
    expect(withoutKeys(list, new Set(drop))).toBe(rest);
  });
});
