import { describe, expect, it } from 'vitest';
import { podDrift } from '../../src/core/drift.js';
import { decide } from '../../src/core/inject.js';
import type { Pod } from '../../src/core/pod.js';
import { workloadOf } from '../../src/core/workload-ref.js';
import { corePod, otherPod } from '../fixtures/pods.js';

const a = (k: string) => `aigw-otel.io/${k}`;
const ns = { [a('endpoint')]: 'https://collector:4317' };
const later = { [a('endpoint')]: 'https://collector-2:4317' };
/** The pod as the webhook admitted it under these namespace annotations. */
const admitted = (namespace: Record<string, string>, p: Pod = corePod()): Pod => {
  const d = decide(namespace, p, { caStatus: 'unchecked', namespace: 'gw' });
  if (!d.inject) throw new Error(`not injected: ${d.reason}`);
  return d.pod;
};

const withAnnotation = (p: Pod, key: string, value: string): Pod => ({
  ...p,
  metadata: { ...p.metadata, annotations: { ...p.metadata?.annotations, [key]: value } },
});
const withImage = (p: Pod, image: string): Pod => ({
  ...p,
  spec: { ...p.spec, containers: p.spec.containers.map((c) => ({ ...c, image })) },
});

describe('drift: a running pod against what the webhook would give it now', () => {
  it.each([
    ['admitted under the current configuration', ns, admitted(ns), 'configured'],
    ['created while the injector was down', ns, corePod(), 'missing'],
    ['admitted before the namespace changed', later, admitted(ns), 'stale'],
    [
      'admitted, and the namespace then set a key to its default explicitly',
      { ...ns, [a('k8s-attributes')]: 'true' },
      admitted(ns),
      'stale',
    ],
    ['not an AI Gateway pod', ns, otherPod(), undefined],
    ['opted out by its own annotation', ns, corePod({ annotations: { [a('inject')]: 'false' } }), undefined],
    ['in a namespace without telemetry annotations', {}, corePod(), undefined],
    ['configured once, then opted out by the namespace', { ...ns, [a('inject')]: 'false' }, admitted(ns), undefined],
    [
      'configured once, then opted out by its own annotation',
      ns,
      withAnnotation(admitted(ns), a('inject'), 'false'),
      undefined,
    ],
    ['carrying the marker but no longer an AI Gateway pod', ns, withImage(admitted(ns), 'nginx:1.27'), undefined],
    ['without metadata at all', ns, { spec: corePod().spec }, 'missing'],
    ['carrying the marker but malformed', ns, { ...admitted(ns), spec: {} } as Pod, undefined],
  ])('%s → %s', (_name, namespace, p, state) => {
    expect(podDrift(namespace, p)?.state).toBe(state);
  });

  it('names the owning Deployment, and the hash the pod should have', () => {
    const drift = podDrift(later, admitted(ns));
    expect(drift?.workload).toEqual({ kind: 'Deployment', name: 'aigw' });
    expect(drift?.hash).toBe(admitted(later).metadata?.annotations?.[a('injected-hash')]);
  });

  it('the hash the webhook writes ignores key order, whitespace and spelling', () => {
    const hashOf = (n: Record<string, string>) => admitted(n).metadata?.annotations?.[a('injected-hash')];
    const spelt = { [a('metric-export-interval')]: '10s', ...ns };
    expect(hashOf({ ...ns, [a('metric-export-interval')]: '10000' })).toBe(hashOf(spelt));
    expect(hashOf(ns)).not.toBe(hashOf(later));
  });
});

describe('the workload a pod belongs to', () => {
  const owned = (kind: string, name: string, hash?: string): Pod => {
    const p = corePod();
    const labels: Record<string, string> = hash === undefined ? {} : { 'pod-template-hash': hash };
    return { ...p, metadata: { ...p.metadata, labels, ownerReferences: [{ kind, name, controller: true }] } };
  };
  it.each([
    ['a ReplicaSet of a Deployment', owned('ReplicaSet', 'aigw-5d8f9', '5d8f9'), { kind: 'Deployment', name: 'aigw' }],
    ['a ReplicaSet of no Deployment', owned('ReplicaSet', 'standalone', '5d8f9'), undefined],
    ['a StatefulSet', owned('StatefulSet', 'gw'), { kind: 'StatefulSet', name: 'gw' }],
    ['a DaemonSet', owned('DaemonSet', 'gw'), { kind: 'DaemonSet', name: 'gw' }],
    ['a Job', owned('Job', 'once'), undefined],
    ["a ReplicaSet named without the pod's hash", owned('ReplicaSet', 'aigw-other', '5d8f9'), undefined],
    ['a ReplicaSet, the pod without a hash label', owned('ReplicaSet', 'aigw-5d8f9'), undefined],
    [
      'an owner that is not the controller',
      {
        ...owned('StatefulSet', 'gw'),
        metadata: { ...owned('StatefulSet', 'gw').metadata, ownerReferences: [{ kind: 'StatefulSet', name: 'gw' }] },
      },
      undefined,
    ],
    ['a controller without a name', owned('StatefulSet', ''), undefined],
    [
      'the controller after another owner',
      {
        ...owned('StatefulSet', 'gw'),
        metadata: {
          ...owned('StatefulSet', 'gw').metadata,
          ownerReferences: [null, { kind: 'Other', name: 'x' }, { kind: 'StatefulSet', name: 'gw', controller: true }],
        },
      },
      { kind: 'StatefulSet', name: 'gw' },
    ],
    [
      'ownerReferences that are not a list',
      { ...corePod(), metadata: { ...corePod().metadata, ownerReferences: 'x' } },
      undefined,
    ],
    ['no metadata', { spec: corePod().spec }, undefined],
    ["a Job whose name ends in the pod's hash", owned('Job', 'once-5d8f9', '5d8f9'), undefined],
    [
      'a ReplicaSet, the pod without labels at all',
      { ...corePod(), metadata: { ownerReferences: [{ kind: 'ReplicaSet', name: 'aigw-5d8f9', controller: true }] } },
      undefined,
    ],
  ])('%s', (_name, p, ref) => expect(workloadOf(p)).toEqual(ref));
});
