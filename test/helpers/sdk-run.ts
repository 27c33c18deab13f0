/**
 * The real SDKs of AI Gateway run as the kubelet would start them: the pod admitted by the webhook (its patch
 * applied strictly), placed (name, uid, node), its injected volumes written as files with the kubelet's modes and
 * owners (test/helpers/kubelet-volumes.ts), its env resolved as the kubelet does (test/helpers/kubelet-env.ts), and
 * then the Go core program (test/real/sdk-go) or the Python processor program (test/real/sdk-python) started with
 * exactly that environment and nothing else. Each program reports its outcomes as JSON lines on stdout.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Pod } from '../../src/core/pod.js';
import { spawnTied } from '../harness/process/spawn.js';
import { review } from '../fixtures/pods.js';
import type { TestInjector } from './injector.js';
import { resolveEnv, type PlacedPod } from './kubelet-env.js';
import { volumeFiles, writeVolume, type ClusterObjects } from './kubelet-volumes.js';
import { applyStrict, decodePatch } from './pod-checks.js';
import { realPaths } from './real-parts.js';
import { place, signedCert } from './telemetry-run.js';

const PROCESSOR_PY = fileURLToPath(new URL('../real/sdk-python/processor.py', import.meta.url));

export type Sdk = 'go-core' | 'python-processor';

/** One JSON line a program printed: what happened and how long it took. */
export interface SdkEvent {
  readonly event: string;
  readonly ms: number;
  readonly error?: string;
  /** Python: a log record of the SDK's (event `otel-log`). */
  readonly message?: string;
  readonly ok?: boolean;
  readonly protocol?: string;
}

export interface RealRun {
  readonly env: Record<string, string>;
  readonly code: number | null;
  /** True when the program outlived `deadlineMs` and was killed. */
  readonly killed: boolean;
  readonly events: readonly SdkEvent[];
  readonly stderr: string;
  readonly stdout: string;
}

export interface RunOptions {
  /** How long the program keeps running after recording, before it flushes and exits. */
  readonly holdMs: number;
  /** Past this the program is killed (SIGKILL by pid) and the run says `killed`. */
  readonly deadlineMs: number;
  /** Python only: how long its final force_flush may wait (the SDK's default is 30 s). */
  readonly flushMs?: number;
}

/**
 * Writes the container's volumes that are mounted under `root` (the injected ones: the tests put their mount paths
 * there) and returns the environment the kubelet would start the container with.
 */
export function materialise(pod: Pod, containerName: string, placed: PlacedPod, root: string): Record<string, string> {
  const container = pod.spec.containers.find((c) => c.name === containerName);
  if (container === undefined) throw new Error(`no container ${containerName}`);
  const context = { namespace: placed.namespace, name: placed.name };
  const cluster = { configMaps: placed.configMaps, secrets: placed.secrets, serviceAccountToken: 'token' };
  for (const mount of container.volumeMounts ?? []) {
    if (!mount.mountPath.startsWith(`${root}/`)) continue;
    const volume = pod.spec.volumes?.find((v) => v.name === mount.name);
    if (volume === undefined) throw new Error(`volume ${mount.name} missing`);
    rmSync(mount.mountPath, { recursive: true, force: true });
    writeVolume(mount.mountPath, volumeFiles(volume, context, cluster), context);
  }
  return resolveEnv(container as Parameters<typeof resolveEnv>[0], placed);
}

function command(sdk: Sdk, options: RunOptions): [string, string[]] {
  if (sdk === 'go-core') return [realPaths.goCore, [`-hold=${options.holdMs}ms`]];
  const flush = options.flushMs === undefined ? [] : ['--flush-ms', String(options.flushMs)];
  return [realPaths.python, [PROCESSOR_PY, '--hold-ms', String(options.holdMs), ...flush]];
}

const parseEvents = (stdout: string): SdkEvent[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as SdkEvent);

const running = new Set<ChildProcess>();

/** Kills (by pid) every SDK program still running: for afterAll, when a test failed or timed out mid-run. */
export function killRunning(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Starts the program with exactly `env` and waits for it to exit, or kills it at the deadline. */
export async function runSdk(sdk: Sdk, env: Record<string, string>, options: RunOptions): Promise<RealRun> {
  const [file, args] = command(sdk, options);
  const child = spawnTied(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, options.deadlineMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  running.delete(child);
  return { env, code, killed, events: parseEvents(stdout), stderr, stdout };
}

/** The container each SDK stands for in the example pods of test/fixtures/pods.ts. */
export const CONTAINER: Record<Sdk, string> = { 'go-core': 'aigw', 'python-processor': 'processor' };

/** The webhook's patch for the pod in the namespace, applied strictly: the pod as the API server stores it. */
export async function admit(webhook: TestInjector, pod: Pod, namespace: string): Promise<Pod> {
  const res = await webhook.post(review(pod, { namespace })).expect(200);
  const body = res.body as { response: { patch?: string } };
  return applyStrict(pod, decodePatch(body.response.patch));
}

export interface ChainRun {
  readonly placed: PlacedPod;
  readonly run: RealRun;
}

/** Admits, places and materialises the pod, then runs the SDK standing for its container. */
export async function admitAndRun(
  webhook: TestInjector,
  step: {
    sdk: Sdk;
    pod: Pod;
    namespace: string;
    root: string;
    objects: Omit<ClusterObjects, 'serviceAccountToken'>;
    /** The node's address (`status.hostIP`), for a pod whose env reads it. */
    hostIP?: string;
  },
  options: RunOptions,
): Promise<ChainRun> {
  const stored = await admit(webhook, step.pod, step.namespace);
  const placed = { ...place(stored, step.namespace, step.objects), hostIP: step.hostIP };
  const env = materialise(stored, CONTAINER[step.sdk], placed, step.root);
  return { placed, run: await runSdk(step.sdk, env, options) };
}

/**
 * A namespace's annotations for a Collector at `endpoint` over TLS: the CA ConfigMap `collector-ca`, mount paths
 * under `root` (a scratch directory of the test, so nothing is written elsewhere), and the extra keys given.
 */
export function tlsAnnotations(
  root: string,
  endpoint: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    'aigw-otel.io/endpoint': endpoint,
    'aigw-otel.io/ca-configmap': 'collector-ca',
    'aigw-otel.io/ca-mount-path': `${root}/etc/collector`,
    'aigw-otel.io/client-cert-mount-path': `${root}/etc/collector-client`,
    ...extra,
  };
}

/**
 * A serving certificate for one IP (an IP SAN only, as a node-local Collector would present), signed by the CA that
 * `serverPki` left in `dir`.
 */
export function ipServerCert(dir: string, ip: string): { cert: string; key: string } {
  return signedCert(dir, `node-${ip}`, ip, ['extendedKeyUsage=serverAuth', `subjectAltName=IP:${ip}`]);
}
