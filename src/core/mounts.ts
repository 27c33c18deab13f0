import { annotation } from './annotations.js';
import type { Container, Pod, Volume } from './pod.js';
import type { Problem } from './problems.js';
import { CA_VOLUME, CLIENT_CERT_VOLUME, type CaSource, type ClientCertSource } from './settings.js';
import type { Target } from './targets.js';

/** A volume the injector adds and mounts read-only into each target container. */
export interface Mount {
  readonly volume: Volume;
  readonly mountPath: string;
  /** The annotation a problem with it is reported under. */
  readonly key: string;
  readonly label: string;
  readonly conflictKind: NonNullable<Problem['kind']>;
}

export const caMount = (ca: CaSource): Mount => ({
  volume: { name: CA_VOLUME, configMap: { name: ca.configMap } },
  mountPath: ca.mountPath,
  key: annotation('ca-configmap'),
  label: 'CA',
  conflictKind: 'ca-conflict',
});

export const clientCertMount = (cert: ClientCertSource): Mount => ({
  // optional: a missing Secret volume keeps the pod in ContainerCreating; with it, the SDK exports without a client
  // certificate (a collector that requires one refuses, and says so in its logs).
  volume: { name: CLIENT_CERT_VOLUME, secret: { secretName: cert.secret, optional: true } },
  mountPath: cert.mountPath,
  key: annotation('client-cert-secret'),
  label: 'client certificate',
  conflictKind: 'client-cert-conflict',
});

const sourceOf = (v: Volume) =>
  JSON.stringify([v.configMap?.name, (v.secret as { secretName?: string } | undefined)?.secretName]);

/**
 * Why the volume cannot be added without clobbering something the pod already has, if it cannot:
 * its name taken by another source, or its mount path taken by another volume in a target container.
 */
export function mountConflict(pod: Pod, targets: readonly Target[], m: Mount): Problem | undefined {
  const { key, label, conflictKind: kind } = m;
  const existing = pod.spec.volumes?.find((v) => v.name === m.volume.name);
  if (existing !== undefined && sourceOf(existing) !== sourceOf(m.volume)) {
    return { key, kind, message: `${label} skipped: volume ${m.volume.name} already exists with another source` };
  }
  const targeted = new Set(targets.map((t) => t.index));
  for (const [index, container] of pod.spec.containers.entries()) {
    if (!targeted.has(index)) continue;
    const taken = container.volumeMounts?.find((x) => x.mountPath === m.mountPath && x.name !== m.volume.name);
    if (taken !== undefined) {
      return { key, kind, message: `${label} skipped: ${container.name} mounts ${taken.name} at ${m.mountPath}` };
    }
  }
  return undefined;
}

/** The container with the volume mounted read-only at the path, unless it is mounted there already. */
export function withMount(container: Container, m: Mount): Container {
  const mounts = container.volumeMounts ?? [];
  // Stryker disable next-line ConditionalExpression: another volume at this path is a conflict, never mounted over.
  if (mounts.some((x) => x.name === m.volume.name && x.mountPath === m.mountPath)) return container;
  return { ...container, volumeMounts: [...mounts, { name: m.volume.name, mountPath: m.mountPath, readOnly: true }] };
}

/** The pod's volumes with these added, or the very same array when they are all there already. */
export function withVolumes(pod: Pod, mounts: readonly Mount[]): Pod['spec']['volumes'] {
  const current = pod.spec.volumes ?? [];
  const missing = mounts.filter((m) => !current.some((v) => v.name === m.volume.name));
  return missing.length === 0 ? pod.spec.volumes : [...current, ...missing.map((m) => ({ ...m.volume }))];
}

/** What the cluster says of the CA ConfigMap; `unchecked` when nobody could tell (standalone, lookup failed). */
export type CaStatus = 'present' | 'missing-configmap' | 'missing-key' | 'unchecked';

/** Why the CA pieces must be skipped given the ConfigMap's status: a pod mounting a missing ConfigMap never starts. */
export function caMissing(ca: CaSource, status: CaStatus): Problem | undefined {
  const key = annotation('ca-configmap');
  if (status === 'missing-configmap') {
    return { key, kind: 'ca-missing', message: `CA skipped: ConfigMap ${ca.configMap} not found in the namespace` };
  }
  if (status === 'missing-key') {
    return { key, kind: 'ca-missing', message: `CA skipped: ConfigMap ${ca.configMap} has no key ${ca.key}` };
  }
  return undefined;
}
