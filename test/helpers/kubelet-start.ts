/**
 * What the "starts as the kubelet would start it" tests share (test/manifests/ for the kustomize overlays, test/helm/
 * for the chart): a Deployment's env and volumes made as the kubelet makes them for the container, and the wait for
 * the started process's /readyz.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startContainer } from './container-start.js';
import { volumeFiles, writeVolume, type ClusterObjects, type PodContext } from './kubelet-volumes.js';
import { freePort, type Running } from './process.js';

type Container = { env: { name: string; value?: string; valueFrom?: any }[] };
type PodSpec = {
  containers: { volumeMounts: { name: string; mountPath: string }[] }[];
  volumes: Parameters<typeof volumeFiles>[0][];
};

/** The container's env as the kubelet resolves it: values, and the downward-API fields our manifests use. */
export function kubeletEnv(container: Container, pod: PodContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env) {
    const field = e.valueFrom?.fieldRef?.fieldPath as string | undefined;
    if (field === 'metadata.namespace') env[e.name] = pod.namespace;
    else if (field === 'metadata.name') env[e.name] = pod.name;
    else if (e.value !== undefined) env[e.name] = e.value;
    else throw new Error(`env ${e.name}: source not emulated`);
  }
  return env;
}

/** The first container's volumes written as the kubelet writes them, from these cluster objects: host dir and mount path. */
export function kubeletMounts(podSpec: PodSpec, pod: PodContext, cluster: ClusterObjects) {
  const volumesDir = mkdtempSync(join(tmpdir(), 'aigw-kubelet-'));
  return podSpec.containers[0]!.volumeMounts.map((m) => {
    const volume = podSpec.volumes.find((v) => v.name === m.name);
    if (volume === undefined) throw new Error(`volumeMount ${m.name}: no such volume`);
    const from = join(volumesDir, m.name);
    mkdirSync(from);
    writeVolume(from, volumeFiles(volume, pod, cluster), pod);
    return { from, mountPath: m.mountPath };
  });
}

/** The Deployment's container as the kubelet would start it, with its volumes already written. */
export interface KubeletStart {
  readonly container: Container;
  /** The pod's securityContext with the container's over it. */
  readonly security: { runAsUser: number; runAsGroup: number; readOnlyRootFilesystem?: boolean };
  readonly pod: PodContext;
  readonly mounts: readonly { readonly from: string; readonly mountPath: string }[];
  /** The port of the API server the kubelet's Service env points at. */
  readonly apiPort: number;
}

/**
 * Starts the container as the kubelet would (its users, fsGroup among its groups, its volumes and env; only the ports
 * moved to free ones so parallel runs cannot collide), hands `check` its /readyz status within `readyMs` and the
 * running container, and stops it.
 */
export async function whenStartedAsKubelet(
  start: KubeletStart,
  readyMs: number,
  check: (ready: number, running: Running) => void,
): Promise<void> {
  const { container, security, pod } = start;
  const [port, adminPort] = [await freePort(), await freePort()];
  const running = startContainer({
    runAsUser: security.runAsUser,
    runAsGroup: security.runAsGroup,
    fsGroup: pod.fsGroup,
    readOnlyRootFilesystem: security.readOnlyRootFilesystem === true,
    mounts: start.mounts,
    env: {
      ...kubeletEnv(container, pod),
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      // What the kubelet sets for the API server's Service, and what the image sets.
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(start.apiPort),
      HOSTNAME: pod.name,
      HOME: '/home/nonroot',
      NODE_ENV: 'production',
    },
  });
  try {
    check(await readyWithin(adminPort, readyMs, () => running.child.exitCode !== null), running);
  } finally {
    running.child.kill('SIGTERM');
    await running.exited;
  }
}

/** The status of /readyz once it is 200, or the last one seen (0: no answer) when time runs out or the process died. */
export async function readyWithin(port: number, ms: number, died: () => boolean): Promise<number> {
  const deadline = Date.now() + ms;
  let last = 0;
  while (Date.now() < deadline && !died()) {
    last = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (last === 200) return last;
    // Poll interval, not an assertion.
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}
