import { describe, expect, it } from 'vitest';
import { autoRolloutOn, configHash, CONFIG_HASH, rolloutNeeded, type Workload } from '../../src/core/rollout.js';
import { CORE_IMAGE, PROCESSOR_IMAGE } from '../fixtures/pods.js';

const a = (k: string) => `aigw-otel.io/${k}`;
const base = { [a('endpoint')]: 'https://collector:4317', [a('auto-rollout')]: 'true' };

describe('configHash', () => {
  it.each([
    ['key order', { [a('auto-rollout')]: 'true', [a('endpoint')]: 'https://collector:4317' }, base],
    ['auto-rollout itself', { ...base, [a('auto-rollout')]: 'false' }, base],
    ['annotations of others', { ...base, 'team.example.com/owner': 'platform' }, base],
    ['a bad value (absent as at admission)', { ...base, [a('metric-export-interval')]: 'soon' }, base],
    ['whitespace around a value', { ...base, [a('endpoint')]: ' https://collector:4317 ' }, base],
    [
      'the same interval spelt differently',
      { ...base, [a('metric-export-interval')]: '10s' },
      { ...base, [a('metric-export-interval')]: '10000' },
    ],
  ])('ignores %s', (_name, annotations, reference) => {
    expect(configHash(annotations)).toBe(configHash(reference));
  });

  it.each([
    ['another endpoint', { ...base, [a('endpoint')]: 'https://other:4317' }],
    ['a new key', { ...base, [a('ca-configmap')]: 'collector-ca' }],
    ['a key removed', { [a('auto-rollout')]: 'true' }],
    ['a bad value made good', { ...base, [a('metric-export-interval')]: '10s' }],
  ])('changes with %s', (_name, annotations) => {
    expect(configHash(annotations)).not.toBe(configHash(base));
    expect(configHash(annotations)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('autoRolloutOn', () => {
  it.each([
    [{ [a('auto-rollout')]: 'true' }, true],
    [{ [a('auto-rollout')]: 'false' }, false],
    [{ [a('auto-rollout')]: 'yes' }, false],
    [{}, false],
    [undefined, false],
  ])('%j → %s', (annotations, on) => expect(autoRolloutOn(annotations)).toBe(on));
});

const workload = (image: string, annotations?: Record<string, string>, labels?: Record<string, string>): Workload => ({
  kind: 'Deployment',
  name: 'w',
  namespace: 'ns',
  template: {
    metadata: { labels: { app: 'w', ...labels }, ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: 'c', image }] },
  },
});

describe('rolloutNeeded', () => {
  const before = { ...base, [a('endpoint')]: 'https://old:4317' };
  const hashOf = (t?: Record<string, string>) => configHash(base, t);
  it.each([
    ['a core workload at an old hash, catching up', workload(CORE_IMAGE, { [CONFIG_HASH]: 'old' }), undefined, true],
    ['a processor workload never rolled, on a change', workload(PROCESSOR_IMAGE), before, true],
    ['a workload of the role label', workload('registry/gateway:1', undefined, { [a('role')]: 'core' }), before, true],
    ['a workload never rolled, without a change', workload(CORE_IMAGE), undefined, 'never-rolled'],
    ['a workload already at the hash', workload(CORE_IMAGE, { [CONFIG_HASH]: hashOf() }), before, 'already-at-hash'],
    ['nginx', workload('nginx:1.27'), before, 'not-an-ai-gateway-workload'],
    [
      'a template that says inject: "false"',
      workload(CORE_IMAGE, { [a('inject')]: 'false', [CONFIG_HASH]: 'old' }),
      before,
      'injection-disabled',
    ],
    [
      'injection switched back on in the namespace',
      workload(CORE_IMAGE, { [CONFIG_HASH]: 'old' }),
      { ...before, [a('inject')]: 'false' },
      true,
    ],
    [
      'a template whose own endpoint hides the namespace change',
      workload(CORE_IMAGE, { [a('endpoint')]: 'https://mine:4317' }),
      before,
      'unchanged',
    ],
    [
      'a template whose own endpoint hides the change, at its old hash',
      workload(CORE_IMAGE, { [a('endpoint')]: 'https://mine:4317', [CONFIG_HASH]: 'old' }),
      before,
      'unchanged',
    ],
    [
      'a template that overrides another key: the change still reaches it',
      workload(CORE_IMAGE, { [a('metric-export-interval')]: '5s' }),
      before,
      true,
    ],
  ])('%s', (_name, w, previous, expected) => {
    const result = rolloutNeeded(base, w, previous);
    expect(result.roll ? true : result.reason).toBe(expected);
    if (result.roll) expect(result.hash).toBe(hashOf(w.template.metadata?.annotations));
  });

  it('skips a workload when the namespace itself says inject: "false"', () => {
    const off = { ...base, [a('inject')]: 'false' };
    const result = rolloutNeeded(off, workload(CORE_IMAGE, { [CONFIG_HASH]: 'old' }), base);
    expect(result).toEqual({ roll: false, reason: 'injection-disabled' });
  });
});
