/**
 * A private Docker daemon (Debian's docker.io `dockerd`) for one test file: its own socket, data root and exec root
 * in a temporary folder, so it never meets another daemon on this machine (the image build's, or a user's).
 *
 * It changes nothing outside that folder: no iptables rules (--iptables=false), no docker0 bridge (--bridge=none:
 * containers run with --network host or none), no ip_forward sysctl, no /etc/docker/daemon.json (its own, empty),
 * and its containers' cgroups under a parent of its own, removed again by `stop()`; what dockerd 20.10 writes where
 * no flag moves it (its trust key /etc/docker/key.json, the plugin folder /run/docker/plugins) is removed again if
 * it was not there before. Started with spawnTied, so it
 * dies with the test process however that dies; a runOnDeath script then kills what its containers left (found by
 * that cgroup parent), unmounts and removes the folder, and removes the cgroups.
 */
import { execFile, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { runOnDeath, spawnTied } from '../process/spawn.js';

const run = promisify(execFile);

// Debian's docker.io client, the daemon's own version: /usr/local/bin may hold a newer client only, first on PATH.
export const DOCKER_CLIENT = '/usr/bin/docker';

/** Whether a daemon can be started here: root and Debian's docker.io installed (test/real/parts/60-image.sh does). */
export const canRunDocker =
  process.getuid?.() === 0 &&
  spawnSync('dockerd', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync(DOCKER_CLIENT, ['--version'], { stdio: 'ignore' }).status === 0;

export interface DockerDaemon {
  /** Runs the client against this daemon; rejects with its stderr on a non-zero exit. */
  docker(args: readonly string[], options?: { timeoutMs?: number }): Promise<string>;
  /** A container's output, stdout and stderr together (the server logs to one, prints start-up errors to the other). */
  logs(container: string): Promise<string>;
  /** The daemon's log so far (for a failure message). */
  log(): string;
  /** SIGTERM by pid (the daemon stops its containers), waits, then removes its folder and cgroups. */
  stop(): Promise<void>;
}

// What a daemon killed with the test process leaves: its containers' processes (found by the cgroup parent only it
// uses), the shims and containerd (found by its folder in their command line), mounts under its folder (dockerd
// leaves exec-root/netns/default bind-mounted even when it stops cleanly), the cgroups.
const CLEANUP = (dir: string, cgroup: string, leftovers: readonly string[]) => `
for f in /sys/fs/cgroup/pids/${cgroup}/*/cgroup.procs; do [ -f "$f" ] && xargs -r kill -KILL < "$f"; done
for p in /proc/[0-9]*; do
  [ "\${p#/proc/}" = "$$" ] && continue
  if tr '\\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qF '${dir}'; then kill -KILL "\${p#/proc/}"; fi
done
sleep 1
grep -F ' ${dir}/' /proc/mounts | cut -d' ' -f2 | sort -r | while read -r m; do umount -l "$m"; done
rm -rf '${dir}'
find /sys/fs/cgroup -maxdepth 3 -depth -type d -path '*/${cgroup}*' -exec rmdir {} \\; 2>/dev/null
for p in ${leftovers.map((p) => `'${p}'`).join(' ')}; do
  if [ -d "$p" ]; then rmdir "$p" 2>/dev/null; else rm -f "$p"; fi
done
`;

// Written by dockerd where no flag moves them; removed after it only if they were not there before (folders only
// when empty: another daemon may be using them).
const DAEMON_LEFTOVERS = ['/etc/docker/key.json', '/run/docker/plugins', '/run/docker'];

/** Starts a daemon and waits (up to `readyMs`, from the spawn) until it answers. */
export async function startDockerDaemon(readyMs = 60_000): Promise<DockerDaemon> {
  // Short: containerd's socket path under the exec root must fit in a unix socket address (108 bytes).
  const dir = mkdtempSync('/tmp/aigw-dockerd-');
  const cgroup = `aigw-${basename(dir)}`;
  const socket = `unix://${join(dir, 'docker.sock')}`;
  writeFileSync(join(dir, 'daemon.json'), '{}');
  const cleanup = CLEANUP(
    dir,
    cgroup,
    DAEMON_LEFTOVERS.filter((p) => !existsSync(p)),
  );
  const cancelCleanup = runOnDeath(cleanup);
  const logFd = openSync(join(dir, 'dockerd.log'), 'a');
  const started = Date.now();
  const child = spawnTied(
    'dockerd',
    [
      '--config-file',
      join(dir, 'daemon.json'),
      '--host',
      socket,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '--cgroup-parent',
      `/${cgroup}`,
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--bridge=none',
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const exited = once(child, 'exit');
  const log = () => {
    try {
      return readFileSync(join(dir, 'dockerd.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const docker = async (args: readonly string[], options: { timeoutMs?: number } = {}) => {
    try {
      const { stdout } = await run(DOCKER_CLIENT, ['-H', socket, ...args], {
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`docker ${args.join(' ')}: ${e.stderr || e.message}`);
    }
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      // dockerd gives running containers up to 15 s to stop on shutdown; past 30 s it is stuck.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    spawnSync('sh', ['-c', cleanup], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    cancelCleanup();
  };
  while (true) {
    const up = await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 10_000 }).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() - started > readyMs) {
      const text = log();
      await stop();
      throw new Error(`dockerd did not answer within ${readyMs} ms:\n${text.slice(-2000)}`);
    }
    // Poll interval, not an assertion.
    await new Promise((r) => setTimeout(r, 250));
  }
  const logs = async (container: string) => {
    const { stdout, stderr } = await run(DOCKER_CLIENT, ['-H', socket, 'logs', container], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout + stderr;
  };
  return { docker, logs, log, stop };
}
