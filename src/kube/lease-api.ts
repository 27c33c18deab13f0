import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { absentOn404, call, withTimeout } from './calls.js';

/** What the leader election reads and writes on its Lease. */
export interface LeaseRecord {
  /** Empty when released. */
  readonly holder: string;
  readonly durationSeconds: number;
  readonly transitions: number;
  readonly acquireTime: Date;
  readonly renewTime: Date;
}

export interface LeaseApi {
  /** leases get: the record and its resourceVersion, or null when there is no Lease yet. */
  getLease(
    namespace: string,
    name: string,
    timeoutMs: number,
  ): Promise<{ record: LeaseRecord; version: string } | null>;
  /** leases create; fails with 409 when another replica created it first. Resolves with the new resourceVersion. */
  createLease(namespace: string, name: string, record: LeaseRecord, timeoutMs: number): Promise<string>;
  /** leases update at `version`; fails with 409 when another replica wrote in between. */
  updateLease(
    namespace: string,
    name: string,
    record: LeaseRecord,
    version: string,
    timeoutMs: number,
  ): Promise<string>;
}

// The API server parses MicroTime with exactly six fractional digits; client-node's V1MicroTime writes them.
const micro = (d: Date) => new V1MicroTime(d.getTime());

function toBody(namespace: string, name: string, record: LeaseRecord, version?: string): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(version === undefined ? {} : { resourceVersion: version }) },
    spec: {
      holderIdentity: record.holder,
      leaseDurationSeconds: record.durationSeconds,
      leaseTransitions: record.transitions,
      acquireTime: micro(record.acquireTime),
      renewTime: micro(record.renewTime),
    },
  };
}

function fromLease(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  const time = (t: unknown) => new Date(t instanceof Date || typeof t === 'string' ? t : 0);
  return {
    holder: spec.holderIdentity ?? '',
    durationSeconds: spec.leaseDurationSeconds ?? 0,
    transitions: spec.leaseTransitions ?? 0,
    acquireTime: time(spec.acquireTime),
    renewTime: time(spec.renewTime),
  };
}

export function leaseApi(kc: KubeConfig): LeaseApi {
  const coordination = kc.makeApiClient(CoordinationV1Api);
  return {
    getLease: (namespace, name, timeoutMs) =>
      absentOn404(async () => {
        const lease = await coordination.readNamespacedLease({ namespace, name }, withTimeout(timeoutMs));
        return { record: fromLease(lease), version: lease.metadata?.resourceVersion ?? '' };
      }),
    createLease: (namespace, name, record, timeoutMs) =>
      call(async () => {
        const body = toBody(namespace, name, record);
        const lease = await coordination.createNamespacedLease({ namespace, body }, withTimeout(timeoutMs));
        return lease.metadata?.resourceVersion ?? '';
      }),
    updateLease: (namespace, name, record, version, timeoutMs) =>
      call(async () => {
        const body = toBody(namespace, name, record, version);
        const lease = await coordination.replaceNamespacedLease({ namespace, name, body }, withTimeout(timeoutMs));
        return lease.metadata?.resourceVersion ?? '';
      }),
  };
}
