import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/config.js';

describe('collector probe configuration', () => {
  it.each([
    ['on by default: every 5 minutes, 5 s per probe', {}, { periodMs: 300_000, timeoutMs: 5000 }],
    ['COLLECTOR_PROBE=false: off', { COLLECTOR_PROBE: 'false' }, undefined],
    ['COLLECTOR_PROBE=FALSE: off', { COLLECTOR_PROBE: ' FALSE ' }, undefined],
    ['COLLECTOR_PROBE=true', { COLLECTOR_PROBE: 'true' }, { periodMs: 300_000, timeoutMs: 5000 }],
    [
      'both set',
      { COLLECTOR_PROBE_INTERVAL_MS: '60000', COLLECTOR_PROBE_TIMEOUT_MS: '2000' },
      { periodMs: 60_000, timeoutMs: 2000 },
    ],
    [
      'the bounds',
      { COLLECTOR_PROBE_INTERVAL_MS: '10000', COLLECTOR_PROBE_TIMEOUT_MS: '100' },
      { periodMs: 10_000, timeoutMs: 100 },
    ],
    [
      'the upper bounds',
      { COLLECTOR_PROBE_INTERVAL_MS: '86400000', COLLECTOR_PROBE_TIMEOUT_MS: '60000' },
      { periodMs: 86_400_000, timeoutMs: 60_000 },
    ],
  ])('%s', (_name, env, probe) => {
    const r = readConfig(env);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.config.collectorProbe).toEqual(probe);
      if (probe !== undefined) expect(Object.isFrozen(r.config.collectorProbe)).toBe(true);
    }
  });

  it.each([
    [{ COLLECTOR_PROBE: 'yes' }, 'COLLECTOR_PROBE="yes" is not true or false'],
    [
      { COLLECTOR_PROBE_INTERVAL_MS: '9999' },
      'COLLECTOR_PROBE_INTERVAL_MS="9999" is not a whole number of milliseconds from 10000 to 86400000',
    ],
    [
      { COLLECTOR_PROBE_INTERVAL_MS: '86400001' },
      'COLLECTOR_PROBE_INTERVAL_MS="86400001" is not a whole number of milliseconds from 10000 to 86400000',
    ],
    [
      { COLLECTOR_PROBE_INTERVAL_MS: '5m' },
      'COLLECTOR_PROBE_INTERVAL_MS="5m" is not a whole number of milliseconds from 10000 to 86400000',
    ],
    [
      { COLLECTOR_PROBE_TIMEOUT_MS: '99' },
      'COLLECTOR_PROBE_TIMEOUT_MS="99" is not a whole number of milliseconds from 100 to 60000',
    ],
    [
      { COLLECTOR_PROBE_TIMEOUT_MS: '60001' },
      'COLLECTOR_PROBE_TIMEOUT_MS="60001" is not a whole number of milliseconds from 100 to 60000',
    ],
    [
      { COLLECTOR_PROBE_INTERVAL_MS: '10000', COLLECTOR_PROBE_TIMEOUT_MS: '10000' },
      'COLLECTOR_PROBE_TIMEOUT_MS=10000 must be shorter than COLLECTOR_PROBE_INTERVAL_MS=10000',
    ],
  ])('%o is refused: %s', (env, error) => {
    expect(readConfig(env)).toEqual({ ok: false, errors: [error] });
  });
});
