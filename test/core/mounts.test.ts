import { describe, expect, it } from 'vitest';
import {
  caMissing,
  caMount,
  clientCertMount,
  mountConflict,
  withMount,
  withVolumes,
  type CaStatus,
} from '../../src/core/mounts.js';
import type { Container, Pod, Volume, VolumeMount } from '../../src/core/pod.js';
import type { Problem } from '../../src/core/problems.js';
import type { Target } from '../../src/core/targets.js';

const CA = caMount({ configMap: 'collector-ca', key: 'ca.crt', mountPath: '/etc/collector' });
const CERT = clientCertMount({ secret: 'client-tls', mountPath: '/etc/collector-client' });
const CA_KEY = 'aigw-otel.io/ca-configmap';
const CERT_KEY = 'aigw-otel.io/client-cert-secret';

const c = (name: string, volumeMounts?: VolumeMount[]): Container => ({
  name,
  ...(volumeMounts ? { volumeMounts } : {}),
});
const podWith = (containers: Container[], volumes?: Volume[]): Pod => ({
  spec: { containers, ...(volumes ? { volumes } : {}) },
});
const t = (index: number, name: string): Target => ({ index, name, role: 'core' });

describe('the volumes the injector adds', () => {
  it('mounts the CA ConfigMap and an optional client-certificate Secret', () => {
    expect(CA).toEqual({
      volume: { name: 'collector-ca-volume', configMap: { name: 'collector-ca' } },
      mountPath: '/etc/collector',
      key: CA_KEY,
      label: 'CA',
      conflictKind: 'ca-conflict',
    });
    expect(CERT).toEqual({
      volume: { name: 'collector-client-cert-volume', secret: { secretName: 'client-tls', optional: true } },
      mountPath: '/etc/collector-client',
      key: CERT_KEY,
      label: 'client certificate',
      conflictKind: 'client-cert-conflict',
    });
  });
});

describe('mount conflicts', () => {
  const caConflict = (message: string): Problem => ({ key: CA_KEY, kind: 'ca-conflict', message });
  it.each<[string, Pod, Target[], typeof CA, Problem | undefined]>([
    ['a pod without volumes', podWith([c('aigw')]), [t(0, 'aigw')], CA, undefined],
    [
      'our volume already there with the same ConfigMap',
      podWith([c('aigw')], [{ name: 'collector-ca-volume', configMap: { name: 'collector-ca' } }]),
      [t(0, 'aigw')],
      CA,
      undefined,
    ],
    [
      'our volume name taken by another ConfigMap',
      podWith([c('aigw')], [{ name: 'collector-ca-volume', configMap: { name: 'other' } }]),
      [t(0, 'aigw')],
      CA,
      caConflict('CA skipped: volume collector-ca-volume already exists with another source'),
    ],
    [
      'our volume name taken by an emptyDir',
      podWith([c('aigw')], [{ name: 'collector-ca-volume', emptyDir: {} }]),
      [t(0, 'aigw')],
      CA,
      caConflict('CA skipped: volume collector-ca-volume already exists with another source'),
    ],
    [
      'the client-cert volume name taken by another Secret',
      podWith([c('aigw')], [{ name: 'collector-client-cert-volume', secret: { secretName: 'other' } }]),
      [t(0, 'aigw')],
      CERT,
      {
        key: CERT_KEY,
        kind: 'client-cert-conflict',
        message: 'client certificate skipped: volume collector-client-cert-volume already exists with another source',
      },
    ],
    [
      'the client-cert volume already there with the same Secret',
      podWith([c('aigw')], [{ name: 'collector-client-cert-volume', secret: { secretName: 'client-tls' } }]),
      [t(0, 'aigw')],
      CERT,
      undefined,
    ],
    [
      'the mount path taken in a target container',
      podWith([c('aigw', [{ name: 'certs', mountPath: '/etc/collector' }])]),
      [t(0, 'aigw')],
      CA,
      caConflict('CA skipped: aigw mounts certs at /etc/collector'),
    ],
    [
      'the mount path taken in the second target',
      podWith([c('a'), c('b', [{ name: 'certs', mountPath: '/etc/collector' }])]),
      [t(0, 'a'), t(1, 'b')],
      CA,
      caConflict('CA skipped: b mounts certs at /etc/collector'),
    ],
    [
      'the mount path taken only in a container that is no target',
      podWith([c('aigw'), c('sidecar', [{ name: 'certs', mountPath: '/etc/collector' }])]),
      [t(0, 'aigw')],
      CA,
      undefined,
    ],
    [
      'the path mounted with our own volume already',
      podWith([c('aigw', [{ name: 'collector-ca-volume', mountPath: '/etc/collector' }])]),
      [t(0, 'aigw')],
      CA,
      undefined,
    ],
    [
      'another path of the same volume name',
      podWith([c('aigw', [{ name: 'certs', mountPath: '/etc/collector/sub' }])]),
      [t(0, 'aigw')],
      CA,
      undefined,
    ],
  ])('%s', (_name, pod, targets, mount, problem) => {
    expect(mountConflict(pod, targets, mount)).toEqual(problem);
  });
});

describe('adding mounts and volumes', () => {
  it('adds a read-only mount, once', () => {
    const before = c('aigw', [{ name: 'data', mountPath: '/data' }]);
    const after = withMount(before, CA);
    expect(after.volumeMounts).toEqual([
      { name: 'data', mountPath: '/data' },
      { name: 'collector-ca-volume', mountPath: '/etc/collector', readOnly: true },
    ]);
    expect(withMount(after, CA)).toBe(after);
    expect(before.volumeMounts).toHaveLength(1);
  });

  it('mounts again where our volume sits at another path', () => {
    const before = c('aigw', [{ name: 'collector-ca-volume', mountPath: '/elsewhere' }]);
    expect(withMount(before, CA).volumeMounts).toHaveLength(2);
  });

  it('adds a container with no mounts its first', () => {
    expect(withMount(c('aigw'), CERT).volumeMounts).toEqual([
      { name: 'collector-client-cert-volume', mountPath: '/etc/collector-client', readOnly: true },
    ]);
  });

  it.each<[string, Volume[] | undefined, (typeof CA)[], string[] | 'same']>([
    ['none yet', undefined, [CA, CERT], ['collector-ca-volume', 'collector-client-cert-volume']],
    ['after the pod ones', [{ name: 'data', emptyDir: {} }], [CA], ['data', 'collector-ca-volume']],
    [
      'one of two there',
      [{ name: 'collector-ca-volume', configMap: { name: 'collector-ca' } }],
      [CA, CERT],
      ['collector-ca-volume', 'collector-client-cert-volume'],
    ],
    ['all there', [{ name: 'collector-ca-volume', configMap: { name: 'collector-ca' } }], [CA], 'same'],
    ['nothing to add', undefined, [], 'same'],
  ])('volumes: %s', (_name, volumes, mounts, expected) => {
    const pod = podWith([c('aigw')], volumes);
    const result = withVolumes(pod, mounts);
    if (expected === 'same') expect(result).toBe(pod.spec.volumes);
    else {
      expect(result?.map((v) => v.name)).toEqual(expected);
      const added = result?.find((v) => v.name === 'collector-ca-volume');
      if (added !== undefined && volumes === undefined) expect(added).not.toBe(CA.volume);
    }
  });
});

describe('a CA the cluster does not have', () => {
  const ca = { configMap: 'collector-ca', key: 'ca.crt', mountPath: '/etc/collector' };
  it.each<[CaStatus, string | undefined]>([
    ['present', undefined],
    ['unchecked', undefined],
    ['missing-configmap', 'CA skipped: ConfigMap collector-ca not found in the namespace'],
    ['missing-key', 'CA skipped: ConfigMap collector-ca has no key ca.crt'],
  ])('%s', (status, message) => {
    expect(caMissing(ca, status)).toEqual(message && { key: CA_KEY, kind: 'ca-missing', message });
  });
});
