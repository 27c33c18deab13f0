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
  const hash = configHash(base);
  it.each([
    ['a core workload at an old hash', workload(CORE_IMAGE, { [CONFIG_HASH]: 'old' }), false, true],
    ['a processor workload never rolled, on a change', workload(PROCESSOR_IMAGE), true, true],
    ['a workload of the role label', workload('registry/gateway:1', undefined, { [a('role')]: 'core' }), true, true],
    ['a workload never rolled, without a change', workload(CORE_IMAGE), false, 'never-rolled'],
    ['a workload already at the hash', workload(CORE_IMAGE, { [CONFIG_HASH]: hash }), true, 'already-at-hash'],
    ['nginx', workload('nginx:1.27'), true, 'not-an-ai-gateway-workload'],
  ])('%s', (_name, w, changed, expected) => {
    const result = rolloutNeeded(base, w, hash, changed);
    expect(result.roll ? true : result.reason).toBe(expected);
  });
});
