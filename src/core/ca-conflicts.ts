import { annotation } from './annotations.js';
import type { Pod } from './pod.js';
import type { Problem } from './problems.js';
import { CA_VOLUME, type CaSource } from './settings.js';
import type { Target } from './targets.js';

/**
 * Why the CA volume cannot be added without clobbering something the pod already has, if it cannot:
 * the volume name taken by another source, or the mount path taken by another volume in a target container.
 */
export function caConflict(pod: Pod, targets: readonly Target[], ca: CaSource): Problem | undefined {
  const key = annotation('ca-configmap');
  const volume = pod.spec.volumes?.find((v) => v.name === CA_VOLUME);
  if (volume !== undefined && volume.configMap?.name !== ca.configMap) {
    return { key, kind: 'ca-conflict', message: `CA skipped: volume ${CA_VOLUME} already exists with another source` };
  }
  for (const { index } of targets) {
    const container = pod.spec.containers[index];
    const taken = container?.volumeMounts?.find((m) => m.mountPath === ca.mountPath && m.name !== CA_VOLUME);
    if (taken !== undefined && container !== undefined) {
      return {
        key,
        kind: 'ca-conflict',
        message: `CA skipped: ${container.name} mounts ${taken.name} at ${ca.mountPath}`,
      };
    }
  }
  return undefined;
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
