/**
 * Looking at what ran on the real node: pods as the API server reports them, their logs, and their containers'
 * processes as the kernel sees them (/proc of the container's pid, which containerd reports).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import type { NodeCluster } from './node-cluster.js';

export interface PodJson {
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { name: string; env?: { name: string; value?: string }[] }[] };
  status: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      name: string;
      ready: boolean;
      restartCount: number;
      containerID?: string;
      started?: boolean;
      state?: { running?: object; waiting?: { reason?: string; message?: string }; terminated?: object };
    }[];
  };
}

/** Polls `check` until it returns a value (not undefined) or `ms` pass; the error says what was awaited. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms: number,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: Error | undefined;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error instanceof Error ? error : new Error(String(error));
    }
    if (Date.now() > deadline) throw new Error(`${what}: not in ${ms} ms${last ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function getPods(node: NodeCluster, namespace: string, selector?: string): Promise<PodJson[]> {
  const args = ['-n', namespace, 'get', 'pods', ...(selector === undefined ? [] : ['-l', selector])];
  return (await node.getJson<{ items?: PodJson[] }>(args)).items ?? [];
}

export const isReady = (p: PodJson) =>
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Waits until `count` pods of the selector are Ready (each container started and passing readiness). */
export function readyPods(node: NodeCluster, namespace: string, selector: string, count: number, ms: number) {
  return eventually(
    `${count} Ready pods ${selector} in ${namespace}`,
    async () => {
      const pods = (await getPods(node, namespace, selector)).filter(isReady);
      return pods.length >= count ? pods : undefined;
    },
    ms,
  );
}

/** The one pod of a selector, once Ready. */
export async function readyPod(node: NodeCluster, namespace: string, selector: string, ms: number): Promise<PodJson> {
  const [pod] = await readyPods(node, namespace, selector, 1, ms);
  if (pod === undefined) throw new Error(`no Ready pod ${selector} in ${namespace}`);
  return pod;
}

export async function logs(node: NodeCluster, namespace: string, pod: string, container?: string): Promise<string> {
  const args = ['-n', namespace, 'logs', pod, ...(container === undefined ? [] : ['-c', container])];
  return (await node.kubectl(args, { allowFailure: true })).stdout;
}

/** The host pid of a running container, from containerd (the pod status's containerID names its task). */
export async function containerPid(node: NodeCluster, pod: PodJson, container: string): Promise<number> {
  const id = pod.status.containerStatuses?.find((c) => c.name === container)?.containerID?.replace(/^.*:\/\//, '');
  if (id === undefined) throw new Error(`no container ${container} in ${pod.metadata.name}`);
  const line = (await node.ctr(['tasks', 'ls'])).split('\n').find((l) => l.startsWith(`${id} `));
  const pid = Number(line?.trim().split(/\s+/)[1]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no task for container ${id}`);
  return pid;
}

/** What the kernel says about a container's process: its ids and groups, and its environment. */
export function processFacts(pid: number): {
  uid: number;
  gid: number;
  groups: number[];
  env: Record<string, string>;
  cwd: string;
} {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => (status.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '').split(/\s+/);
  const env = Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter((e) => e.includes('='))
      .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
  return {
    uid: Number(field('Uid')[1]),
    gid: Number(field('Gid')[1]),
    groups: field('Groups').slice(1).filter(Boolean).map(Number),
    env,
    cwd: readlinkSync(`/proc/${pid}/cwd`),
  };
}
