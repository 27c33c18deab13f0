/**
 * A template's two hash annotations: auto-rollout's config-hash and the drift monitor's healed. Whichever carries
 * the current configuration, the template already asks for it, so neither rolls it again (issue 18, 2).
 */
import { describe, expect, it } from 'vitest';
import {
  CONFIG_HASH,
  configHash,
  HEALED,
  healNeeded,
  requestedHash,
  rolloutAnnotations,
  rolloutNeeded,
  type Workload,
} from '../../src/core/rollout.js';
import { CORE_IMAGE } from '../fixtures/pods.js';

const a = (k: string) => `aigw-otel.io/${k}`;
const ns = { [a('endpoint')]: 'https://collector:4317', [a('auto-rollout')]: 'true' };
const before = { ...ns, [a('endpoint')]: 'https://old:4317' };
const now = configHash(ns);
const old = configHash(before);

const workload = (annotations?: Record<string, string>, image = CORE_IMAGE): Workload => ({
  kind: 'Deployment',
  name: 'w',
  namespace: 'ns',
  template: {
    metadata: { labels: { app: 'w' }, ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: 'c', image }] },
  },
});

/** A merge patch of template annotations, as the API server applies it (null removes). */
function patched(w: Workload, patch: Record<string, string | null>): Workload {
  const annotations: Record<string, string> = { ...w.template.metadata?.annotations };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete annotations[k];
    else annotations[k] = v;
  }
  return workload(annotations);
}

describe('the hash a template asks for', () => {
  it('is written under aigw-otel.io/healed by a heal', () => expect(HEALED).toBe('aigw-otel.io/healed'));

  it.each([
    ['no template annotations', undefined, undefined],
    ['config-hash alone', { [CONFIG_HASH]: 'c' }, 'c'],
    ['healed alone', { [HEALED]: 'h' }, 'h'],
    ['both: healed, set after the last rollout', { [CONFIG_HASH]: 'c', [HEALED]: 'h' }, 'h'],
  ])('%s', (_name, annotations, expected) => expect(requestedHash(annotations)).toBe(expected));
});

describe('rolloutAnnotations', () => {
  it.each([
    ['a template never healed: config-hash only', workload(), { [CONFIG_HASH]: now }],
    [
      'a template without metadata',
      { ...workload(), template: { spec: workload().template.spec } },
      { [CONFIG_HASH]: now },
    ],
    [
      'a healed template: config-hash, and healed removed',
      workload({ [HEALED]: old }),
      { [CONFIG_HASH]: now, [HEALED]: null },
    ],
  ])('%s', (_name, w, expected) => expect(rolloutAnnotations(w, now)).toEqual(expected));
});

describe('rolloutNeeded with a healed template', () => {
  it.each([
    [
      'healed at the current hash, a new leader catching up',
      workload({ [CONFIG_HASH]: old, [HEALED]: now }),
      undefined,
      'already-at-hash',
    ],
    ['healed at the current hash, on a change', workload({ [HEALED]: now }), before, 'already-at-hash'],
    ['healed at an old hash and never rolled, catching up', workload({ [HEALED]: old }), undefined, true],
    [
      'healed after a rollout, at an old hash, catching up',
      workload({ [CONFIG_HASH]: now, [HEALED]: old }),
      undefined,
      true,
    ],
  ])('%s', (_name, w, previous, expected) => {
    const result = rolloutNeeded(ns, w, previous);
    expect(result.roll ? true : result.reason).toBe(expected);
  });

  it('a heal, a rollout to another configuration, then a revert: the revert rolls', () => {
    const healed = workload({ [HEALED]: now });
    const other = { ...ns, [a('endpoint')]: 'https://other:4317' };
    const rolled = patched(healed, rolloutAnnotations(healed, configHash(other)));
    expect(rolloutNeeded(ns, rolled, other)).toEqual({ roll: true, hash: now });
  });
});

describe('healNeeded', () => {
  it.each([
    ['a template never rolled nor healed', workload(), true],
    ['a template at an old config-hash', workload({ [CONFIG_HASH]: old }), true],
    [
      'a template healed at an old hash after a rollout to the current one',
      workload({ [CONFIG_HASH]: now, [HEALED]: old }),
      true,
    ],
    [
      'a template asking for the current configuration by config-hash',
      workload({ [CONFIG_HASH]: now }),
      'already-at-hash',
    ],
    ['a template asking for the current configuration by healed', workload({ [HEALED]: now }), 'already-at-hash'],
    ['a template that says inject: "false"', workload({ [a('inject')]: 'false' }), 'injection-disabled'],
    ['nginx', workload(undefined, 'nginx:1.27'), 'not-an-ai-gateway-workload'],
  ])('%s', (_name, w, expected) => {
    const result = healNeeded(ns, w);
    expect(result.heal ? true : result.reason).toBe(expected);
    if (result.heal) expect(result.hash).toBe(now);
  });
});
