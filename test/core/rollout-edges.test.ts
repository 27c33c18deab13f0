/** rolloutNeeded at its edges: a template without metadata, a catching-up leader, the annotation's name. */
import { describe, expect, it } from 'vitest';
import { CONFIG_HASH, configHash, rolloutNeeded, type Workload } from '../../src/core/rollout.js';
import { CORE_IMAGE } from '../fixtures/pods.js';

const a = (k: string) => `aigw-otel.io/${k}`;
const core = (metadata?: Workload['template']['metadata']): Workload => ({
  kind: 'Deployment',
  name: 'w',
  namespace: 'ns',
  template: { ...(metadata ? { metadata } : {}), spec: { containers: [{ name: 'c', image: CORE_IMAGE }] } },
});

describe('rolloutNeeded at its edges', () => {
  it('writes the hash under aigw-otel.io/config-hash', () => {
    expect(CONFIG_HASH).toBe('aigw-otel.io/config-hash');
  });

  it('reads a template without metadata (never rolled, nothing observed)', () => {
    expect(rolloutNeeded({ [a('endpoint')]: 'https://c:4317' }, core(), undefined)).toEqual({
      roll: false,
      reason: 'never-rolled',
    });
  });

  it('rolls a template without metadata on an observed change', () => {
    const ns = { [a('endpoint')]: 'https://new:4317' };
    expect(rolloutNeeded(ns, core(), { [a('endpoint')]: 'https://old:4317' })).toEqual({
      roll: true,
      hash: configHash(ns),
    });
  });

  it('catches up a stale template whose own keys alone give the hash, with no change observed', () => {
    // The namespace adds nothing to the hash (auto-rollout is left out of it), so the hash of the template's own
    // keys equals the effective one: only a comparison with an observed previous state could call it unchanged.
    const ns = { [a('auto-rollout')]: 'true' };
    const own = { [a('endpoint')]: 'https://mine:4317', [CONFIG_HASH]: 'stale' };
    const result = rolloutNeeded(ns, core({ annotations: own }), undefined);
    expect(result).toEqual({ roll: true, hash: configHash(ns, own) });
  });
});
