/**
 * A Secret volume as the kubelet keeps one up to date (not a kubelet): the Secret's keys as files, rewritten when the
 * Secret changes, in the kubelet's atomic-writer layout (pkg/volume/util/atomic_writer.go): the data in a fresh
 * timestamped folder, a `..data_tmp` symlink to it renamed over `..data` (one atomic step), each key a symlink
 * through `..data`. A reader therefore sees the old pair or the new pair, never half of each.
 *
 * The kubelet notices a changed Secret within its sync period plus its cache TTL: up to about a minute and a half by
 * default, while cert-manager's cainjector updates a caBundle within seconds. This reads the Secret every 500 ms and
 * writes a change `lagMs` after it saw it (0 for the first mount), so a test can put the files behind the caBundle
 * as a cluster does.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlane } from '../../helpers/control-plane.js';

export interface SecretVolume {
  readonly dir: string;
  /** `<dir>/<key>`. */
  file(key: string): string;
  /** The resourceVersion of the Secret the files now hold. */
  version(): string;
  stop(): void;
}

// How often the Secret is read; see above.
const PERIOD_MS = 500;

/** Resolves once the Secret exists and its files are written; keeps them in step until `stop()`. */
export async function mountSecret(
  cp: ControlPlane,
  namespace: string,
  name: string,
  timeoutMs: number,
  lagMs = 0,
): Promise<SecretVolume> {
  const dir = mkdtempSync(join(tmpdir(), `aigw-secret-${name}-`));
  let written = '';
  let generation = 0;
  let previous = '';
  let seen: { version: string; at: number } | undefined;
  const sync = async (lag: number): Promise<boolean> => {
    const r = await cp.kubectl(['-n', namespace, 'get', 'secret', name, '-o', 'json'], { allowFailure: true });
    if (r.code !== 0) return false;
    const secret = JSON.parse(r.stdout) as { metadata: { resourceVersion: string }; data?: Record<string, string> };
    if (secret.metadata.resourceVersion === written) return true;
    if (seen?.version !== secret.metadata.resourceVersion)
      seen = { version: secret.metadata.resourceVersion, at: Date.now() };
    if (Date.now() - seen.at < lag) return true;
    const data = `..${Date.now()}.${(generation += 1)}`;
    mkdirSync(join(dir, data));
    for (const [key, value] of Object.entries(secret.data ?? {})) {
      writeFileSync(join(dir, data, key), Buffer.from(value, 'base64'), { mode: 0o644 });
    }
    symlinkSync(data, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    // As the atomic writer: the previous data folder goes once nothing points at it.
    if (previous !== '') rmSync(join(dir, previous), { recursive: true, force: true });
    previous = data;
    for (const key of Object.keys(secret.data ?? {})) {
      if (!exists(join(dir, key))) symlinkSync(join('..data', key), join(dir, key));
    }
    written = secret.metadata.resourceVersion;
    return true;
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await sync(0))) {
    if (Date.now() > deadline) throw new Error(`Secret ${namespace}/${name} not there in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, PERIOD_MS));
  }
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, PERIOD_MS));
      if (!stopped) await sync(lagMs).catch(() => false);
    }
  };
  void loop();
  return {
    dir,
    file: (key) => join(dir, key),
    version: () => written,
    stop: () => {
      stopped = true;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const exists = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};
