/** The warning texts at their limits: 120 characters a line, 32 of them for a value, 20 lines. */
import { describe, expect, it } from 'vitest';
import { formatProblem, formatWarnings } from '../../src/core/problems.js';

const key = 'aigw-otel.io/endpoint';

describe('one warning line', () => {
  it.each([
    ['a value of 32 characters, whole', 'v'.repeat(32), `${key}="${'v'.repeat(32)}": bad`],
    ['a value of 33 characters, cut to 31 and an ellipsis', 'v'.repeat(33), `${key}="${'v'.repeat(31)}…": bad`],
    ['tabs, carriage returns and newlines as one space', 'a\r\n\tb', `${key}="a b": bad`],
    ['an empty value still quoted', '', `${key}="": bad`],
  ])('%s', (_name, value, text) => {
    expect(formatProblem({ key, value, message: 'bad' })).toBe(text);
  });

  it.each([
    [120, false],
    [121, true],
  ])('a line of %i characters is cut: %s', (length, cut) => {
    const message = 'm'.repeat(length - `${key}: `.length);
    const line = formatProblem({ key, message });
    expect(line).toHaveLength(cut ? 120 : length);
    expect(line.endsWith('…')).toBe(cut);
  });
});

describe('the list of warnings', () => {
  const problems = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `aigw-otel.io/k${i}`, message: 'm' }));
  it.each([
    [0, 0, undefined],
    [20, 20, 'aigw-otel.io/k19: m'],
    [21, 20, 'aigw-otel-injector: 2 more warnings'],
  ])('%i problems: %i lines, the last %j', (n, lines, last) => {
    const warnings = formatWarnings(problems(n));
    expect(warnings).toHaveLength(lines);
    expect(warnings.at(-1)).toBe(last);
  });

  it('says the same thing once', () => {
    const twice = [...problems(2), ...problems(2)];
    expect(formatWarnings(twice)).toEqual(['aigw-otel.io/k0: m', 'aigw-otel.io/k1: m']);
  });
});
