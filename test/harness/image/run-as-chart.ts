/**
 * `docker run` of our image as the chart's Deployment runs it (manifests/base/deployment.yaml, which test/helm
 * keeps equal to the chart's): the pod's and container's securityContext and resource limits as docker flags, the
 * container's env, and the Secret volume written as the kubelet writes it (root-owned, defaultMode, group fsGroup,
 * the atomic writer's `..data` layout) and bind-mounted read-only. Standalone mode adds a namespaces file, mounted
 * the same way, as a ConfigMap volume would be.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kubeletEnv } from '../../helpers/kubelet-start.js';
import { runOnDeath } from '../process/spawn.js';
import { volumeFiles, writeVolume, type PodContext } from '../../helpers/kubelet-volumes.js';

type Deployment = {
  spec: {
    template: {
      spec: {
        securityContext: { runAsUser: number; runAsGroup: number; fsGroup?: number };
        containers: {
          name: string;
          env: { name: string; value?: string }[];
          securityContext: {
            allowPrivilegeEscalation?: boolean;
            readOnlyRootFilesystem?: boolean;
            privileged?: boolean;
            capabilities?: { drop?: string[] };
          };
          resources?: { limits?: { cpu?: string; memory?: string } };
          volumeMounts: { name: string; mountPath: string }[];
        }[];
        volumes: Parameters<typeof volumeFiles>[0][];
      };
    };
  };
};

export const deployment = parse(readFileSync('manifests/base/deployment.yaml', 'utf8')) as Deployment;
const podSpec = deployment.spec.template.spec;
const container = podSpec.containers[0]!;

/** The pod the Deployment makes, as far as its volumes and env care: its user and fsGroup. */
export function chartPod(name: string, namespace: string): PodContext {
  const { runAsUser, fsGroup } = podSpec.securityContext;
  return { name, namespace, runAsUser, fsGroup };
}

/** Where standalone mode's namespaces file is mounted (the chart runs in cluster mode and mounts none). */
export const NAMESPACES_DIR = '/etc/aigw-otel-injector/namespaces';

/** `256Mi` → `256m` (docker's binary megabytes), `1` CPU → `1`. */
const dockerMemory = (q: string) => q.replace(/Mi$/, 'm').replace(/Gi$/, 'g');

/** The docker flags for the chart's securityContext and limits; throws on a setting it does not translate. */
export function securityFlags(): string[] {
  const pod = podSpec.securityContext;
  const c = container.securityContext;
  const flags = ['--user', `${pod.runAsUser}:${pod.runAsGroup}`];
  // fsGroup: the kubelet adds it to the container's supplementary groups.
  if (pod.fsGroup !== undefined) flags.push('--group-add', String(pod.fsGroup));
  if (c.readOnlyRootFilesystem === true) flags.push('--read-only');
  if (c.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges');
  if (c.privileged === true) throw new Error('privileged: not what the chart should run');
  for (const cap of c.capabilities?.drop ?? []) flags.push('--cap-drop', cap);
  const limits = container.resources?.limits;
  if (limits?.memory !== undefined) flags.push('--memory', dockerMemory(limits.memory));
  if (limits?.cpu !== undefined) flags.push('--cpus', limits.cpu);
  return flags;
}

export interface Volumes {
  /** `-v host:container:ro` flags. */
  readonly flags: string[];
  /** Replaces the TLS Secret's files as the kubelet does on a Secret update: a new timestamped dir, `..data` swapped. */
  swapTls(files: { 'tls.crt': string; 'tls.key': string }): void;
  remove(): void;
}

/**
 * The TLS Secret volume (and the namespaces file) written as the kubelet writes them for this pod: `fsGroup` sets
 * the files' group. `tlsAs` writes the Secret for another pod context (no fsGroup, say) and with each file's own
 * mode (a Secret volume's `items[].mode`), the namespaces file staying as for `pod`.
 */
export function writeVolumes(
  tls: { 'tls.crt': string; 'tls.key': string },
  namespacesYaml: string,
  pod: PodContext,
  tlsAs?: { pod: PodContext; modes: { 'tls.crt': number; 'tls.key': number } },
): Volumes {
  const tlsPod = tlsAs?.pod ?? pod;
  const root = mkdtempSync(join(tmpdir(), 'aigw-image-volumes-'));
  // Removed by remove(), or by the lifeline if the test process dies first.
  const forget = runOnDeath(`rm -rf '${root}'`);
  const mounts = container.volumeMounts.filter((m) => m.name === 'tls');
  const tlsVolume = podSpec.volumes.find((v) => v.name === 'tls');
  if (mounts.length !== 1 || tlsVolume === undefined) throw new Error('deployment: no tls volume and mount');
  const items = tlsAs && Object.entries(tlsAs.modes).map(([key, mode]) => ({ key, path: key, mode }));
  const secretVolume = { ...tlsVolume, secret: { ...tlsVolume.secret, ...(items ? { items } : {}) } };
  const secretName = tlsVolume.secret.secretName as string;
  const files = (data: Record<string, string>) =>
    volumeFiles(secretVolume, tlsPod, { secrets: { [secretName]: data }, configMaps: {}, serviceAccountToken: '' });
  const tlsDir = join(root, 'tls');
  mkdirSync(tlsDir);
  writeVolume(tlsDir, files(tls), tlsPod);
  const namespacesDir = join(root, 'namespaces');
  mkdirSync(namespacesDir);
  const configMapVolume = { name: 'namespaces', configMap: { name: 'namespaces', defaultMode: 0o440 } };
  writeVolume(
    namespacesDir,
    volumeFiles(configMapVolume, pod, {
      secrets: {},
      configMaps: { namespaces: { 'namespaces.yaml': namespacesYaml } },
      serviceAccountToken: '',
    }),
    pod,
  );
  let generation = 0;
  return {
    flags: ['-v', `${tlsDir}:${mounts[0]!.mountPath}:ro`, '-v', `${namespacesDir}:${NAMESPACES_DIR}:ro`],
    swapTls(next) {
      // The atomic writer: write the new timestamped dir, point ..data_tmp at it, rename over ..data, drop the old.
      const old = readdirSync(tlsDir).filter((n) => n.startsWith('..2'));
      const data = `..2026_12_05_00_00_0${++generation}.000000001`;
      const group = tlsPod.fsGroup ?? 0;
      mkdirSync(join(tlsDir, data));
      chownSync(join(tlsDir, data), 0, group);
      chmodSync(join(tlsDir, data), 0o755);
      for (const f of files(next)) {
        const path = join(tlsDir, data, f.path);
        writeFileSync(path, f.content);
        chownSync(path, f.owner, group);
        chmodSync(path, f.mode);
      }
      symlinkSync(data, join(tlsDir, '..data_tmp'));
      renameSync(join(tlsDir, '..data_tmp'), join(tlsDir, '..data'));
      for (const o of old) rmSync(join(tlsDir, o), { recursive: true, force: true });
    },
    remove: () => {
      rmSync(root, { recursive: true, force: true });
      forget();
    },
  };
}

/** The container's env from the Deployment, as the kubelet resolves it, for the given pod. */
export function chartEnv(pod: PodContext): Record<string, string> {
  return kubeletEnv(container, pod);
}
