/**
 * The chain from admission to export, on this machine: the webhook's patch applied to a pod, the pod materialised
 * by the kubelet stand-ins, and a real OpenTelemetry SDK started with exactly the environment the kubelet would
 * give the container. Shared by the end-to-end tests and `npm run demo`.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod } from '../../src/core/pod.js';
import { spawnTied } from '../harness/process/spawn.js';
import { resolveEnv, type PlacedPod } from './kubelet-env.js';
import { volumeFiles, writeVolume, type ClusterObjects } from './kubelet-volumes.js';

const CHILD = fileURLToPath(new URL('../e2e/sdk-child.mjs', import.meta.url));

/** A CA and a certificate it signed, as PEM. */
export interface Pki {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A CA and a server certificate for localhost and 127.0.0.1, from the project's own script. */
export function serverPki(service = 'otel-collector'): Pki & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), `aigw-${service}-`));
  execFileSync('bash', ['certs/generate.sh', '--out', dir, '--service', service, '--quiet']);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { dir, ca: read('ca.crt'), cert: read('tls.crt'), key: read('tls.key') };
}

/** A client certificate (clientAuth) with this CN, signed by the CA `serverPki` left in `dir`. */
export function clientCert(dir: string, cn: string): { cert: string; key: string } {
  return signedCert(dir, cn, cn, ['extendedKeyUsage=clientAuth']);
}

/**
 * A certificate with this CN and these extensions (beside a leaf's basic constraints and key usage), signed by the CA
 * `serverPki` left in `dir`; its files are named `<name>.*` there.
 */
export function signedCert(
  dir: string,
  name: string,
  cn: string,
  extensions: readonly string[],
): { cert: string; key: string } {
  const file = (ext: string) => join(dir, `${name}.${ext}`);
  const ext = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', ...extensions, ''];
  writeFileSync(file('ext'), ext.join('\n'));
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file('key')]);
  execFileSync('openssl', ['req', '-new', '-key', file('key'), '-subj', `/CN=${cn}`, '-out', file('csr')]);
  const ca = ['-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial'];
  const out = ['-days', '1', '-sha256', '-extfile', file('ext'), '-out', file('crt')];
  execFileSync('openssl', ['x509', '-req', '-in', file('csr'), ...ca, ...out]);
  return { cert: readFileSync(file('crt'), 'utf8'), key: readFileSync(file('key'), 'utf8') };
}

/** The pod after admission, scheduling and naming: what the kubelet is handed. */
export function place(pod: Pod, namespace: string, objects: Omit<ClusterObjects, 'serviceAccountToken'>): PlacedPod {
  const meta = pod.metadata ?? {};
  return {
    name: meta.name ?? `${meta.generateName ?? 'pod-'}x2x4q`,
    namespace,
    uid: randomUUID(),
    nodeName: 'node-a',
    labels: meta.labels,
    annotations: meta.annotations,
    configMaps: objects.configMaps,
    secrets: objects.secrets,
  };
}

export interface SdkRun {
  readonly env: Record<string, string>;
  readonly code: number | null;
  readonly stderr: string;
}

/**
 * Materialises the container's volumes that are mounted under `root` (the injected ones: the tests put their mount
 * paths there, so nothing is written elsewhere), resolves its env, and runs the SDK with that env and nothing else.
 */
export async function runContainer(
  pod: Pod,
  containerName: string,
  placed: PlacedPod,
  options: { root: string; role: 'core' | 'processor'; holdMs: number },
): Promise<SdkRun> {
  const container = pod.spec.containers.find((c) => c.name === containerName);
  if (container === undefined) throw new Error(`no container ${containerName}`);
  const context = { namespace: placed.namespace, name: placed.name };
  const cluster = { configMaps: placed.configMaps, secrets: placed.secrets, serviceAccountToken: 'token' };
  for (const mount of container.volumeMounts ?? []) {
    if (!mount.mountPath.startsWith(`${options.root}/`)) continue;
    const volume = pod.spec.volumes?.find((v) => v.name === mount.name);
    if (volume === undefined) throw new Error(`volume ${mount.name} missing`);
    // Each pod gets its own volume directory from the kubelet; here pods of one namespace share the path.
    rmSync(mount.mountPath, { recursive: true, force: true });
    writeVolume(mount.mountPath, volumeFiles(volume, context, cluster), context);
  }
  const env = resolveEnv(container as Parameters<typeof resolveEnv>[0], placed);
  const child = spawnTied(process.execPath, [CHILD, options.role, String(options.holdMs)], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { env, code, stderr };
}
