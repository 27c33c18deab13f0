/**
 * Faults of a real control plane that test/helpers/control-plane.ts does not offer: a restart of kube-apiserver
 * (found by its pid, stopped with SIGTERM, started again with the very same command line) and a compaction of etcd's
 * history (through etcd's own v3 JSON gateway). The restarted kube-apiserver is this helper's to stop: `stop()` in
 * afterAll, before the control plane's own `stop()`.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnTied } from '../harness/process/spawn.js';
import type { ControlPlane } from './control-plane.js';
import { eventually } from './eventually.js';
import { realPaths } from './real-parts.js';

/** The pid and argv of this control plane's kube-apiserver: the one whose --cert-dir is in its scratch folder. */
function findApiserver(cp: ControlPlane): { pid: number; argv: string[] } {
  const certDir = `--cert-dir=${join(cp.dir, 'apiserver-certs')}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue; // gone meanwhile
    }
    if (argv[0] === realPaths.kubeApiserver && argv.includes(certDir)) return { pid: Number(entry), argv };
  }
  throw new Error(`no kube-apiserver of ${cp.dir} running`);
}

/** Running, and not a zombie waiting for its parent (control-plane.ts's process) to reap it. */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

export interface Restarter {
  /** Stops kube-apiserver (SIGTERM, by pid), starts it again with the same flags, and waits until it is ready. */
  restartApiserver(): Promise<void>;
  /** etcd's current revision, then a compaction of everything before it. */
  compactEtcd(): Promise<number>;
  /** Stops the restarted kube-apiserver, if any. */
  stop(): Promise<void>;
}

export function restarter(cp: ControlPlane): Restarter {
  // Dies with this process, afterAll or not (test/harness/process/spawn.ts).
  let restarted: ChildProcess | undefined;
  const etcd = () => {
    const flag = findApiserver(cp).argv.find((a) => a.startsWith('--etcd-servers='));
    return (flag ?? '').slice('--etcd-servers='.length);
  };
  return {
    async restartApiserver() {
      const { pid, argv } = findApiserver(cp);
      process.kill(pid, 'SIGTERM');
      // kube-apiserver drains for a few seconds on SIGTERM; past 20 s (a loaded machine), it is killed, and gone well
      // within the minute allowed.
      const kill = setTimeout(() => alive(pid) && process.kill(pid, 'SIGKILL'), 20_000);
      await eventually(() => !alive(pid), 60_000, `kube-apiserver ${pid} did not stop`).finally(() =>
        clearTimeout(kill),
      );
      const log = openSync(join(cp.dir, 'kube-apiserver-restarted.log'), 'a');
      restarted = spawnTied(argv[0]!, argv.slice(1), { stdio: ['ignore', log, log] });
      closeSync(log);
      // As control-plane.ts waits for a component (90 s on a loaded 2-core machine).
      await eventually(
        async () => (await cp.kubectl(['get', '--raw', '/readyz'], { allowFailure: true, timeoutMs: 5000 })).code === 0,
        90_000,
        'kube-apiserver not ready after its restart',
      );
    },
    async compactEtcd() {
      const post = async (path: string, body: object) => {
        const res = await fetch(`${etcd()}${path}`, { method: 'POST', body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
        return (await res.json()) as { header: { revision: string } };
      };
      const revision = Number((await post('/v3/maintenance/status', {})).header.revision);
      await post('/v3/kv/compaction', { revision, physical: true });
      return revision;
    },
    async stop() {
      const child = restarted;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000); // as control-plane.ts stops its processes
      await exited;
      clearTimeout(timer);
    },
  };
}
