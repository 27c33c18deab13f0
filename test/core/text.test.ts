import { describe, expect, it } from 'vitest';
import { isBlankOrComma, isSlash, trimEndWhere } from '../../src/core/text.js';

describe('trimEndWhere: one backwards pass', () => {
  it.each([
    ['trailing blanks and commas', 'a=b, ,\t\n', isBlankOrComma, 'a=b'],
    ['nothing to trim: the very same string', 'a=b', isBlankOrComma, 'a=b'],
    ['everything trimmed', ' , ', isBlankOrComma, ''],
    ['the empty string', '', isBlankOrComma, ''],
    ['blanks inside stay', 'a = b ,c', isBlankOrComma, 'a = b ,c'],
    ['trailing slashes', 'https://c:4318///', isSlash, 'https://c:4318'],
    ['a non-breaking space counts as blank, as for trim()', 'a\u00a0', isBlankOrComma, 'a'],
  ])('%s', (_name, input, drop, expected) => {
    const out = trimEndWhere(input, drop);
    expect(out).toBe(expected);
    if (expected === input) expect(out).toBe(input);
  });

  it.each([
    [',', true],
    [' ', true],
    ['\t', true],
    ['a', false],
    ['/', false],
    ['=', false],
  ])('isBlankOrComma(%j) is %s', (c, expected) => expect(isBlankOrComma(c)).toBe(expected));

  it.each([
    ['/', true],
    ['\\', false],
    [' ', false],
  ])('isSlash(%j) is %s', (c, expected) => expect(isSlash(c)).toBe(expected));

  it('is linear: 200,000 blanks before the end take a single pass', () => {
    const s = `a=b${' '.repeat(200_000)}c`;
    expect(trimEndWhere(s, isBlankOrComma)).toBe(s);
    expect(trimEndWhere(`a=b${' '.repeat(200_000)}`, isBlankOrComma)).toBe('a=b');
  });
});
