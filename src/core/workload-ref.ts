import type { Pod } from './pod.js';
import type { WorkloadKind } from './rollout.js';

/** A workload by kind and name, in the pod's namespace. */
export interface WorkloadRef {
  readonly kind: WorkloadKind;
  readonly name: string;
}

interface OwnerReference {
  readonly kind?: unknown;
  readonly name?: unknown;
  readonly controller?: unknown;
}

/**
 * The Deployment, StatefulSet or DaemonSet a pod belongs to, from its controlling owner: a ReplicaSet named
 * `<deployment>-<pod-template-hash>` (the hash the pod carries as a label) is its Deployment's. Undefined for bare
 * pods, Jobs and ReplicaSets of no Deployment.
 */
export function workloadOf(pod: Pod): WorkloadRef | undefined {
  const owners = pod.metadata?.ownerReferences;
  if (!Array.isArray(owners)) return undefined;
  const owner = (owners as (OwnerReference | null)[]).find((o) => o?.controller === true);
  if (typeof owner?.name !== 'string' || owner.name === '') return undefined;
  if (owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet') return { kind: owner.kind, name: owner.name };
  // Stryker disable next-line OptionalChaining: owners were found above, so metadata is there.
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
  }
  return undefined;
}
