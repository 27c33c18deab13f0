import { describe, expect, it } from 'vitest';
import { formatProblem, formatWarnings } from '../../src/core/problems.js';

describe('warnings', () => {
  it.each([
    [
      { key: 'aigw-otel.io/metric-export-interval', value: 'soon', message: 'not a duration' },
      'aigw-otel.io/metric-export-interval="soon": not a duration',
    ],
    [{ key: 'aigw-otel.io/x', message: 'two\nlines' }, 'aigw-otel.io/x: two lines'],
  ])('formats %o', (p, text) => expect(formatProblem(p)).toBe(text));

  it('keeps each warning to 120 characters, however long the value', () => {
    const w = formatProblem({ key: 'aigw-otel.io/endpoint', value: 'h'.repeat(5000), message: 'm'.repeat(200) });
    expect(w.length).toBeLessThanOrEqual(120);
    expect(w.startsWith('aigw-otel.io/endpoint="hhh')).toBe(true);
  });

  it('caps the number of warnings and says how many were left out', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ key: `aigw-otel.io/k${i}`, message: 'unknown annotation' }));
    const lines = formatWarnings(many);
    expect(lines).toHaveLength(20);
    expect(lines.at(-1)).toBe('aigw-otel-injector: 31 more warnings');
    expect(lines.join('').length).toBeLessThan(4096);
  });
});
