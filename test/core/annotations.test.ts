import { describe, expect, it } from 'vitest';
import { annotation, isKnownKey, KEYS, PREFIX, ROLE_LABEL, suggestKey } from '../../src/core/annotations.js';

describe('typo suggestions', () => {
  it.each<[string, string | undefined]>([
    ['tracing-endpont', 'tracing-endpoint'],
    ['tracingendpoint', 'tracing-endpoint'],
    ['endpiont', 'endpoint'],
    ['endpoint', 'endpoint'],
    ['ca-config-map', 'ca-configmap'],
    ['metric-export-intervall', 'metric-export-interval'],
    ['protocl', 'protocol'],
    ['Protocol', 'protocol'],
    ['inject', 'inject'],
    ['injekt', 'inject'],
    // Two edits are always allowed, even on a short word; a third on a short word is too many.
    ['injxxt', 'inject'],
    ['overide', 'override'],
    ['ovxxxde', undefined],
    // A third of the letters: 21 letters allow 7 edits, so a long key is still found through a few more.
    ['traces-sampler-argument', 'traces-sampler-arg'],
    ['k8s-attribs', 'k8s-attributes'],
    // Two keys equally near: the first in the table wins.
    ['headers-secret-k', 'headers-secret'],
    ['team', undefined],
    ['owner', undefined],
    ['', undefined],
    ['x', undefined],
    // Keys the injector writes are never suggested for an input.
    ['injected', 'inject'],
    ['kept-envs', undefined],
    ['config-hash', undefined],
    ['healed', undefined],
    // Past 48 characters nothing is suggested (the edit distance costs length × key length).
    ['tracing-endpoint'.padEnd(48, '-'), undefined],
    ['tracing-endpoint'.padEnd(49, '-'), undefined],
    [`${'a'.repeat(30)}tracing-endpoint`, undefined],
  ])('%j → %j', (typo, suggestion) => {
    expect(suggestKey(typo)).toBe(suggestion);
  });
});

describe('the key table', () => {
  it('names every key under the prefix', () => {
    expect(PREFIX).toBe('aigw-otel.io/');
    expect(ROLE_LABEL).toBe('aigw-otel.io/role');
    expect(annotation('endpoint')).toBe('aigw-otel.io/endpoint');
  });

  it.each([
    ['endpoint', true],
    ['injected-hash', true],
    ['healed', true],
    ['toString', false],
    ['constructor', false],
    ['__proto__', false],
    ['Endpoint', false],
    ['', false],
  ])('%j is a known key: %s', (key, known) => {
    expect(isKnownKey(key)).toBe(known);
  });

  it.each(Object.entries(KEYS).filter(([, spec]) => spec.scope === 'output'))(
    '%s is written by the injector, never read',
    (_key, spec) => {
      expect(spec.parse('anything')).toEqual({ ok: false, reason: 'written by the injector, not an input' });
    },
  );

  it('knows which keys are for namespaces only and pods only', () => {
    const scoped = (scope: string) =>
      Object.entries(KEYS)
        .filter(([, spec]) => spec.scope === scope)
        .map(([key]) => key);
    expect(scoped('namespace')).toEqual(['auto-rollout']);
    expect(scoped('pod')).toEqual(['container-names']);
    expect(scoped('output')).toEqual(['injected', 'kept-env', 'config-hash', 'injected-hash', 'healed']);
  });
});
