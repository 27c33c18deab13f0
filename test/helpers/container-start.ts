/**
 * A stand-in for the container runtime (not one): starts `node dist/main.js` as a container of the rendered pod
 * would run — in a private mount namespace, chrooted into a root filesystem made read-only, with each volume
 * bind-mounted read-only at its `mountPath`, as `runAsUser`:`runAsGroup` with `fsGroup` among its supplementary
 * groups, and only the environment it is given. The host's /usr, /etc, /dev and /proc and the project directory
 * are bound in read-only so the process finds Node and its code. Needs root, `unshare` and `chroot`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTied } from '../harness/process/spawn.js';
import type { Running } from './process.js';
import { once } from 'node:events';

export const canStartContainers =
  process.getuid?.() === 0 &&
  spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('chroot', ['--version'], { stdio: 'ignore' }).status === 0;

export interface ContainerSpec {
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly fsGroup?: number;
  readonly readOnlyRootFilesystem: boolean;
  /** Host directory → mount path in the container. */
  readonly mounts: readonly { readonly from: string; readonly mountPath: string }[];
  readonly env: Readonly<Record<string, string>>;
}

// Runs as root inside the new mount namespace; every mount vanishes with it. $1 root, $2 user:group, $3 groups,
// $4 node, $5 project dir, $6 read-only root (true/false), then pairs of host dir and mount path.
const SETUP = `
root="$1"; user="$2"; groups="$3"; node="$4"; project="$5"; ro="$6"; shift 6
mount -t tmpfs -o mode=0755 container-root "$root"
for d in /usr /bin /sbin /lib /lib32 /lib64 /etc /dev /proc; do
  if [ -L "$d" ]; then ln -s "$(readlink "$d")" "$root$d"
  elif [ -d "$d" ]; then mkdir -p "$root$d"; mount --rbind "$d" "$root$d"
  fi
done
mkdir -p "$root$project"; mount --bind "$project" "$root$project"; mount -o remount,ro,bind "$root$project"
if [ ! -e "$root$node" ]; then mkdir -p "$root$(dirname "$node")"; touch "$root$node"; mount --bind "$node" "$root$node"; fi
while [ $# -gt 0 ]; do
  mkdir -p "$root$2"; mount --bind "$1" "$root$2"; mount -o remount,ro,bind "$root$2"; shift 2
done
if [ "$ro" = true ]; then mount -o remount,ro "$root"; fi
exec chroot --userspec="$user" --groups="$groups" "$root" "$node" "$project/dist/main.js"
`;

export function startContainer(spec: ContainerSpec): Running {
  const root = mkdtempSync(join(tmpdir(), 'aigw-container-'));
  const groups = [spec.runAsGroup, ...(spec.fsGroup === undefined ? [] : [spec.fsGroup])].join(',');
  const args = [
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-euc',
    SETUP,
    'container-setup',
    root,
    `${spec.runAsUser}:${spec.runAsGroup}`,
    groups,
    process.execPath,
    process.cwd(),
    String(spec.readOnlyRootFilesystem),
    ...spec.mounts.flatMap((m) => [m.from, m.mountPath]),
  ];
  // Tied by pid and process group: the container's change of user would clear a parent-death signal.
  const child = spawnTied('unshare', args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    atMs: Date.now(),
  }));
  return { child, stdout: () => out, stderr: () => err, exited };
}
