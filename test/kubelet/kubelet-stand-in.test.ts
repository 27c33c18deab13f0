/** The kubelet stand-ins agree with what the kubelet documents (../shared/reference/real-cluster-facts.md). */
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CreateContainerConfigError, expand, resolveEnv, type PlacedPod } from '../helpers/kubelet-env.js';
import { volumeFiles, writeVolume } from '../helpers/kubelet-volumes.js';

const pod: PlacedPod = {
  name: 'aigw-6d4b9c7f8d-x2x4q',
  namespace: 'ai-gateway',
  uid: '7d1c6a52-0b8e-4f0e-9d1e-3c2b1a0f9e8d',
  nodeName: 'node-a',
  labels: { app: 'aigw' },
  annotations: { team: 'gw' },
  configMaps: { settings: { LEVEL: 'debug', MODE: 'fast' } },
  secrets: { auth: { headers: 'k=v' } },
};

describe('$(VAR) expansion', () => {
  const defined = new Map([
    ['A', 'a'],
    ['EMPTY', ''],
  ]);
  it.each([
    ['a defined name', 'x=$(A)', 'x=a'],
    ['an unknown name stays as written', 'x=$(B)', 'x=$(B)'],
    ['$$ escapes', '$$(A)', '$(A)'],
    ['a lone $', 'cost $5', 'cost $5'],
    ['an unclosed reference', 'x=$(A', 'x=$(A'],
    ['an empty value', '[$(EMPTY)]', '[]'],
    ['two in a row', '$(A)$(A)', 'aa'],
    ['a trailing $', 'x$', 'x$'],
  ])('%s: %j → %j', (_name, value, expected) => expect(expand(value, defined)).toBe(expected));
});

describe('env resolution', () => {
  it.each([
    [
      'values expand against earlier entries only',
      {
        env: [
          { name: 'B', value: '$(A)' },
          { name: 'A', value: 'a' },
        ],
      },
      { B: '$(A)', A: 'a' },
    ],
    [
      'fieldRef: name, namespace, uid, node',
      {
        env: [
          { name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'U', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'L', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'X', value: '$(N)/$(NODE)' },
        ],
      },
      { N: pod.name, NS: 'ai-gateway', U: pod.uid, NODE: 'node-a', L: 'aigw', X: `${pod.name}/node-a` },
    ],
    [
      'secretKeyRef and configMapKeyRef',
      {
        env: [
          { name: 'H', valueFrom: { secretKeyRef: { name: 'auth', key: 'headers' } } },
          { name: 'M', valueFrom: { configMapKeyRef: { name: 'settings', key: 'MODE' } } },
        ],
      },
      { H: 'k=v', M: 'fast' },
    ],
    [
      'an optional reference to a missing Secret leaves the variable unset',
      {
        env: [{ name: 'H', valueFrom: { secretKeyRef: { name: 'gone', key: 'headers', optional: true } } }],
      },
      {},
    ],
    [
      'envFrom underneath env, with its prefix',
      {
        envFrom: [{ configMapRef: { name: 'settings' } }, { prefix: 'S_', secretRef: { name: 'auth' } }],
        env: [{ name: 'LEVEL', value: 'info' }],
      },
      { LEVEL: 'info', MODE: 'fast', S_headers: 'k=v' },
    ],
  ])('%s', (_name, container, expected) => expect(resolveEnv(container as never, pod)).toEqual(expected));

  it("status.hostIP: the node's IP, expanded in a later entry; not given, the stand-in says so", () => {
    const container = {
      env: [
        { name: 'OTEL_NODE_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.hostIP' } } },
        { name: 'E', value: 'https://$(OTEL_NODE_IP):4317' },
      ],
    };
    expect(resolveEnv(container, { ...pod, hostIP: '10.0.3.7' })).toEqual({
      OTEL_NODE_IP: '10.0.3.7',
      E: 'https://10.0.3.7:4317',
    });
    expect(() => resolveEnv(container, pod)).toThrow('fieldRef status.hostIP not emulated');
  });

  it.each([
    ['a missing Secret', { env: [{ name: 'H', valueFrom: { secretKeyRef: { name: 'gone', key: 'headers' } } }] }],
    ['a missing key', { env: [{ name: 'H', valueFrom: { configMapKeyRef: { name: 'settings', key: 'nope' } } }] }],
    ['a missing envFrom ConfigMap', { envFrom: [{ configMapRef: { name: 'gone' } }] }],
  ])('%s fails the container (CreateContainerConfigError)', (_name, container) => {
    expect(() => resolveEnv(container as never, pod)).toThrow(CreateContainerConfigError);
  });
});

describe('volumes', () => {
  const cluster = {
    configMaps: { ca: { 'ca.crt': 'PEM', other: 'x' } },
    secrets: { tls: { 'tls.crt': 'C', 'tls.key': 'K' } },
    serviceAccountToken: 't',
  };
  const ctx = { namespace: 'ai-gateway', name: 'p', runAsUser: 65532, fsGroup: 65532 };
  it.each([
    [
      'a ConfigMap, every key, default mode 0644',
      { name: 'v', configMap: { name: 'ca' } },
      [
        ['ca.crt', 'PEM', 0o644],
        ['other', 'x', 0o644],
      ],
    ],
    [
      'a ConfigMap with items and a mode',
      { name: 'v', configMap: { name: 'ca', items: [{ key: 'ca.crt', path: 'root.pem', mode: 0o400 }] } },
      [['root.pem', 'PEM', 0o400]],
    ],
    [
      'a Secret with defaultMode',
      { name: 'v', secret: { secretName: 'tls', defaultMode: 0o440 } },
      [
        ['tls.crt', 'C', 0o440],
        ['tls.key', 'K', 0o440],
      ],
    ],
    ['a missing optional Secret: an empty volume', { name: 'v', secret: { secretName: 'gone', optional: true } }, []],
  ])('%s', (_name, volume, expected) => {
    const files = volumeFiles(volume, ctx, cluster);
    expect(files.map((f) => [f.path, f.content, f.mode])).toEqual(expected);
  });

  it('a missing Secret or ConfigMap volume is a FailedMount', () => {
    expect(() => volumeFiles({ name: 'v', secret: { secretName: 'gone' } }, ctx, cluster)).toThrow(/FailedMount/);
    expect(() => volumeFiles({ name: 'v', configMap: { name: 'gone' } }, ctx, cluster)).toThrow(/FailedMount/);
  });

  it("writes the atomic writer's layout, modes, and (as root) the owners: root, group fsGroup; the token runAsUser", () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'aigw-kubelet-')), 'v');
    const volume = {
      name: 'v',
      projected: {
        defaultMode: 0o440,
        sources: [
          { serviceAccountToken: { path: 'token' } },
          { configMap: { name: 'ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        ],
      },
    };
    writeVolume(dir, volumeFiles(volume, ctx, cluster), ctx);
    expect(readlinkSync(join(dir, 'ca.crt'))).toBe('..data/ca.crt');
    expect(lstatSync(join(dir, '..data')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toBe('PEM');
    expect(statSync(join(dir, 'ca.crt')).mode & 0o777).toBe(0o440);
    if (process.getuid?.() === 0) {
      expect([statSync(join(dir, 'ca.crt')).uid, statSync(join(dir, 'ca.crt')).gid]).toEqual([0, 65532]);
      expect(statSync(join(dir, 'token')).uid).toBe(65532);
    }
  });
});
