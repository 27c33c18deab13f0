/**
 * A stand-in for the kubelet's volume plugins (not a kubelet): writes Secret, ConfigMap, downward-API and projected
 * volumes as the kubelet does (../shared/reference/real-cluster-facts.md): files owned by root:root with the
 * volume's `defaultMode` or the item's `mode`, the group set to the pod's `fsGroup` when there is one, and the
 * service-account token owned by `runAsUser`. The layout is the kubelet's atomic writer's: the files live in a
 * timestamped directory, `..data` points at it, and each key is a symlink through `..data`.
 * Ownership needs root (chown); as another user the files are written with the modes only.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// The API's default for defaultMode on Secret, ConfigMap, downward-API and projected volumes.
const DEFAULT_MODE = 0o644;
// The atomic writer's timestamped directory and the volume directory itself.
const DIR_MODE = 0o755;

export interface PodContext {
  readonly namespace: string;
  readonly name: string;
  readonly runAsUser?: number;
  readonly fsGroup?: number;
}

/** What the cluster holds for the volumes to be made from. */
export interface ClusterObjects {
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly configMaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The token the kubelet requests for the pod's service account. */
  readonly serviceAccountToken: string;
}

interface FileSpec {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  readonly owner: number;
}

type Item = { key?: string; path: string; mode?: number; fieldRef?: { fieldPath: string } };
type Volume = Record<string, any> & { name: string };

function fromMap(data: Readonly<Record<string, string>>, items: Item[] | undefined, mode: number): FileSpec[] {
  if (items === undefined) return Object.entries(data).map(([k, v]) => ({ path: k, content: v, mode, owner: 0 }));
  return items.map((i) => {
    const content = data[i.key ?? ''];
    if (content === undefined) throw new Error(`key ${i.key} missing`);
    return { path: i.path, content, mode: i.mode ?? mode, owner: 0 };
  });
}

function fieldOf(pod: PodContext, fieldPath: string): string {
  if (fieldPath === 'metadata.namespace') return pod.namespace;
  if (fieldPath === 'metadata.name') return pod.name;
  throw new Error(`downward API field ${fieldPath} not emulated`);
}

/** The files of one volume, or an error as the kubelet reports a FailedMount. */
export function volumeFiles(volume: Volume, pod: PodContext, cluster: ClusterObjects): FileSpec[] {
  const source = volume.secret
    ? { kind: 'secret', name: volume.secret.secretName as string, spec: volume.secret, store: cluster.secrets }
    : volume.configMap
      ? { kind: 'configmap', name: volume.configMap.name as string, spec: volume.configMap, store: cluster.configMaps }
      : undefined;
  if (source !== undefined) {
    const data = source.store[source.name];
    if (data === undefined) {
      if (source.spec.optional === true) return [];
      throw new Error(`FailedMount: ${source.kind} "${source.name}" not found`);
    }
    return fromMap(data, source.spec.items, source.spec.defaultMode ?? DEFAULT_MODE);
  }
  if (volume.projected) {
    const mode: number = volume.projected.defaultMode ?? DEFAULT_MODE;
    return (volume.projected.sources as Record<string, any>[]).flatMap((s): FileSpec[] => {
      if (s.serviceAccountToken) {
        // The one exception to root ownership: the token follows runAsUser.
        const owner = pod.runAsUser ?? 0;
        return [{ path: s.serviceAccountToken.path, content: cluster.serviceAccountToken, mode, owner }];
      }
      if (s.configMap) return fromMap(cluster.configMaps[s.configMap.name] ?? {}, s.configMap.items, mode);
      if (s.secret) return fromMap(cluster.secrets[s.secret.name] ?? {}, s.secret.items, mode);
      if (s.downwardAPI) {
        return (s.downwardAPI.items as Item[]).map((i) => ({
          path: i.path,
          content: fieldOf(pod, i.fieldRef?.fieldPath ?? ''),
          mode: i.mode ?? mode,
          owner: 0,
        }));
      }
      throw new Error(`projected source ${Object.keys(s).join(',')} not emulated`);
    });
  }
  throw new Error(`volume type of ${volume.name} not emulated`);
}

/** Writes a volume under `dir` in the atomic writer's layout, with the kubelet's owners and modes. */
export function writeVolume(dir: string, files: readonly FileSpec[], pod: PodContext): void {
  const group = pod.fsGroup ?? 0;
  const chown = process.getuid?.() === 0 ? chownSync : () => undefined;
  const data = '..2026_11_30_00_00_00.000000001';
  mkdirSync(join(dir, data), { recursive: true });
  for (const d of [dir, join(dir, data)]) {
    chown(d, 0, group);
    chmodSync(d, DIR_MODE);
  }
  symlinkSync(data, join(dir, '..data'));
  for (const f of files) {
    const real = join(dir, data, f.path);
    mkdirSync(dirname(real), { recursive: true });
    writeFileSync(real, f.content);
    chown(real, f.owner, group);
    chmodSync(real, f.mode);
    const top = f.path.split('/')[0] ?? f.path;
    if (!exists(join(dir, top))) symlinkSync(join('..data', top), join(dir, top));
  }
}

const exists = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};
