import { describe, expect, it } from 'vitest';
import {
  MAX_PROBLEMS,
  MAX_VALUE_LENGTH,
  ownAnnotations,
  readAnnotations,
  readEffective,
  type Origin,
} from '../../src/core/read-annotations.js';

const a = (key: string) => `aigw-otel.io/${key}`;
const prefixed = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [a(k), v]));

describe('our annotations of a map', () => {
  it('keeps our prefix only, strips it, trims values', () => {
    const own = ownAnnotations({
      [a('endpoint')]: '  https://c:4317 \n',
      'aigw-otel.io.example/endpoint': 'x',
      'other.io/aigw-otel.io/endpoint': 'y',
      endpoint: 'z',
      [a('')]: 'empty key',
      [a('inject')]: 7 as unknown as string,
    });
    expect([...own]).toEqual([
      ['endpoint', 'https://c:4317'],
      ['', 'empty key'],
    ]);
    expect(ownAnnotations(undefined).size).toBe(0);
  });
});

describe('reading one map', () => {
  it.each<[string, Origin, Record<string, string>, Record<string, unknown>, string[]]>([
    ['a good value', 'namespace', { endpoint: 'https://c:4317' }, { endpoint: 'https://c:4317' }, []],
    ['a bad value', 'namespace', { inject: 'yes' }, {}, ['inject=yes: must be "true" or "false"']],
    ['an unknown key', 'namespace', { team: 'a' }, {}, ['team: unknown annotation']],
    [
      'a typo',
      'pod',
      { endpont: 'https://c:4317' },
      {},
      ['endpont: unknown annotation, did you mean aigw-otel.io/endpoint?'],
    ],
    [
      'an output key on a namespace',
      'namespace',
      { injected: 'core' },
      {},
      ['injected: set by the injector on pods, not on namespaces'],
    ],
    ['an output key on a pod: passed over', 'pod', { injected: 'core', 'config-hash': 'abc' }, {}, []],
    [
      'a pod key on a namespace',
      'namespace',
      { 'container-names': 'a' },
      {},
      ['container-names: only valid as a pod annotation'],
    ],
    ['a pod key on a pod', 'pod', { 'container-names': 'a,b,a' }, { 'container-names': ['a', 'b'] }, []],
    [
      'a namespace key on a pod',
      'pod',
      { 'auto-rollout': 'true' },
      {},
      ['auto-rollout: only valid as a namespace annotation'],
    ],
    ['a namespace key on a namespace', 'namespace', { 'auto-rollout': 'true' }, { 'auto-rollout': true }, []],
    [
      'a value of exactly the length limit is parsed',
      'namespace',
      { 'client-cert-secret': 'a'.repeat(MAX_VALUE_LENGTH) },
      {},
      ['client-cert-secret: longer than 253 characters'],
    ],
    [
      'a value past the length limit is not parsed',
      'namespace',
      { 'client-cert-secret': 'a'.repeat(MAX_VALUE_LENGTH + 1) },
      {},
      ['client-cert-secret: longer than 4096 characters'],
    ],
    [
      'a sampler argument for a ratio sampler',
      'namespace',
      { 'traces-sampler': 'traceidratio', 'traces-sampler-arg': '0.5' },
      { 'traces-sampler': 'traceidratio', 'traces-sampler-arg': '0.5' },
      [],
    ],
    [
      'a sampler argument without a sampler',
      'namespace',
      { 'traces-sampler-arg': '0.5' },
      { 'traces-sampler-arg': '0.5' },
      [],
    ],
    [
      'a sampler argument for a sampler that takes none',
      'namespace',
      { 'traces-sampler': 'parentbased_always_on', 'traces-sampler-arg': '0.5' },
      { 'traces-sampler': 'parentbased_always_on' },
      ['traces-sampler-arg=0.5: sampler parentbased_always_on takes no argument'],
    ],
    [
      'a client certificate mounted at the CA path',
      'namespace',
      { 'ca-configmap': 'ca', 'client-cert-secret': 'tls', 'client-cert-mount-path': '/etc/collector' },
      { 'ca-configmap': 'ca', 'client-cert-mount-path': '/etc/collector' },
      ["client-cert-secret=tls: client certificate skipped: its mount path overlaps the CA's"],
    ],
    [
      'a CA and a client-certificate path but no Secret: nothing to drop',
      'namespace',
      { 'ca-configmap': 'ca', 'client-cert-mount-path': '/etc/collector' },
      { 'ca-configmap': 'ca', 'client-cert-mount-path': '/etc/collector' },
      [],
    ],
    [
      'a client certificate without a CA: any path',
      'namespace',
      { 'client-cert-secret': 'tls', 'client-cert-mount-path': '/etc/collector' },
      { 'client-cert-secret': 'tls', 'client-cert-mount-path': '/etc/collector' },
      [],
    ],
  ])('%s', (_name, origin, annotations, values, problems) => {
    const reading = readAnnotations(prefixed(annotations), origin);
    expect(reading.values).toEqual(values);
    const shown = reading.problems.map(
      (p) => `${p.key.slice('aigw-otel.io/'.length)}${p.value === undefined ? '' : `=${p.value}`}: ${p.message}`,
    );
    expect(shown.map((s) => (s.length > 200 ? `${s.split('=')[0]}: ${s.split(': ').at(-1)}` : s))).toEqual(problems);
  });

  it.each([
    [MAX_PROBLEMS - 1, MAX_PROBLEMS - 1, undefined],
    [MAX_PROBLEMS, MAX_PROBLEMS - 1, '1 more problems not listed'],
    [MAX_PROBLEMS + 5, MAX_PROBLEMS - 1, '6 more problems not listed'],
  ])('%i bad keys: %i listed, then %s', (count, listed, more) => {
    const bad = Object.fromEntries(Array.from({ length: count }, (_, i) => [a(`unknown-${i}`), 'x']));
    const { problems } = readAnnotations(bad, 'namespace');
    expect(problems.filter((p) => p.message === 'unknown annotation')).toHaveLength(listed);
    const closing = problems.find((p) => p.key === 'aigw-otel.io/*');
    expect(closing?.message).toBe(more);
    expect(problems.length).toBe(listed + (more === undefined ? 0 : 1));
  });

  it('suggests for the first 20 unknown keys only', () => {
    const typos = Object.fromEntries(Array.from({ length: 22 }, (_, i) => [a(`endpoin${i}`), 'x']));
    const { problems } = readAnnotations(typos, 'namespace');
    const suggested = problems.map((p) => p.message.includes('did you mean'));
    expect(suggested).toEqual([...Array<boolean>(20).fill(true), false, false]);
  });

  it('counts only unknown keys against the suggestions', () => {
    // Six known keys in the wrong place first, then twenty typos: every typo still gets its suggestion.
    const misplaced = ['injected', 'kept-env', 'config-hash', 'injected-hash', 'healed', 'container-names'];
    const typos = Array.from({ length: 20 }, (_, i) => `endpoin${i}`);
    const all = Object.fromEntries([...misplaced, ...typos].map((k) => [a(k), 'x']));
    const { problems } = readAnnotations(all, 'namespace');
    expect(problems).toHaveLength(26 - 1);
    expect(problems.filter((p) => p.message.includes('did you mean'))).toHaveLength(25 - 1 - misplaced.length);
  });

  it('refuses a pod-only key on a namespace when merged with a pod', () => {
    const reading = readEffective(prefixed({ 'container-names': 'a' }), {});
    expect(reading.values).toEqual({});
    expect(reading.problems.map((p) => p.message)).toEqual(['only valid as a pod annotation']);
  });
});

describe('namespace and pod together', () => {
  it.each<[string, Record<string, string>, Record<string, string>, Record<string, unknown>, string[]]>([
    [
      'the pod wins key by key',
      { endpoint: 'https://ns:4317', inject: 'true' },
      { endpoint: 'https://pod:4317' },
      { endpoint: 'https://pod:4317', inject: true },
      [],
    ],
    [
      'a bad namespace value the pod sets well: no problem',
      { inject: 'yes' },
      { inject: 'false' },
      { inject: false },
      [],
    ],
    [
      'a bad pod value leaves the namespace one',
      { inject: 'false' },
      { inject: 'yes' },
      { inject: false },
      ['aigw-otel.io/inject'],
    ],
    [
      'bad on both: both reported',
      { inject: 'yes' },
      { inject: 'no' },
      {},
      ['aigw-otel.io/inject', 'aigw-otel.io/inject'],
    ],
    [
      'an unknown namespace key stays reported',
      { team: 'a' },
      { team: 'b' },
      {},
      ['aigw-otel.io/team', 'aigw-otel.io/team'],
    ],
    [
      'two-key rules over the merged values',
      { 'traces-sampler': 'always_on' },
      { 'traces-sampler-arg': '0.5' },
      { 'traces-sampler': 'always_on' },
      ['aigw-otel.io/traces-sampler-arg'],
    ],
  ])('%s', (_name, namespace, pod, values, problemKeys) => {
    const frozen = Object.freeze(prefixed(namespace));
    for (const ns of [frozen, frozen, prefixed(namespace)]) {
      const reading = readEffective(ns, prefixed(pod));
      expect(reading.values).toEqual(values);
      expect(reading.problems.map((p) => p.key)).toEqual(problemKeys);
    }
  });
});
