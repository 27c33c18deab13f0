import { describe, expect, it } from 'vitest';
import { encodeAttributeValue, parseAttributeList } from '../../src/core/attribute-list.js';

describe('parseAttributeList (resource-attributes)', () => {
  it.each([
    ['team=ai', [['team', 'ai']]],
    [
      ' team = ai , deployment.environment=prod ',
      [
        ['team', 'ai'],
        ['deployment.environment', 'prod'],
      ],
    ],
    ['note=a%2Cb%20c', [['note', 'a%2Cb%20c']]],
    ['url=https://x.example/a?b=c', [['url', 'https://x.example/a?b=c']]],
    ['k8s.cluster.name=eu-1', [['k8s.cluster.name', 'eu-1']]],
  ])('%j', (raw, pairs) => {
    expect(parseAttributeList(raw)).toEqual({ ok: true, value: pairs.map(([key, value]) => ({ key, value })) });
  });

  it.each([
    ['', /empty entry/],
    ['team=ai,', /empty entry/],
    ['team', /key=value/],
    ['=ai', /bad key/],
    ['my team=ai', /bad key "my team"/],
    ['team=', /empty value for team/],
    ['team=ai platform', /value of team must be percent-encoded/],
    ['team="ai"', /percent-encoded/],
    ['team=a;b', /percent-encoded/],
    ['team=100%', /percent-encoded/],
    ['team=é', /percent-encoded/],
    ['pod=$(POD_NAME)', /\$\(\.\.\.\) is not expanded in pod/],
    ['team=a,team=b', /duplicate key team/],
    [`k=${'v'.repeat(5000)}`, /longer than 4096/],
  ])('refuses %j', (raw, reason) => {
    const r = parseAttributeList(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('encodeAttributeValue', () => {
  it.each([
    ['aigw-6d4b9c7f8d', 'aigw-6d4b9c7f8d'],
    ['a,b=c;d e', 'a%2Cb%3Dc%3Bd%20e'],
    ['100%', '100%25'],
    ['é', '%C3%A9'],
  ])('%j → %j', (raw, encoded) => {
    expect(encodeAttributeValue(raw)).toBe(encoded);
    const parsed = parseAttributeList(`k=${encodeAttributeValue(raw)}`);
    expect(parsed.ok && decodeURIComponent(parsed.value[0]?.value ?? '')).toBe(raw);
  });
});
