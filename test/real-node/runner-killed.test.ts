/**
 * A real node dies with the test runner (issue 25): a vitest runner is started here on a fixture that starts a
 * node and runs a pod on it, and then the runner is killed with SIGKILL, which no handler can see. Within a bound
 * measured from the kill, everything the node made must be gone: its processes (etcd, the API server, the
 * controller manager, the scheduler, containerd, its shims, the kubelet, kube-proxy, the container's process),
 * the bridge, the KUBE- and CNI- iptables chains it added, and the sysctls back to their values before.
 * This file holds the node lock for the whole test and lends it to the runner's node (lock.ts, LOCK_LENT_ENV):
 * no other file's node can start while the killed one is being undone.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { NODE_NETWORK } from '../harness/node/configs.js';
import { LOCK_LENT_ENV, LOCK_PATH, lockNode, ownerLine } from '../harness/node/lock.js';
import { NODE_LOCK_WAIT_MS } from '../harness/node/node-cluster.js';
import { haveNodeParts } from '../harness/node/parts.js';
import { CGROUPS, recordMachine, type MachineBefore } from '../harness/node/teardown.js';
import { descendants, running, type Seen } from '../harness/process/proc.js';
import { spawnTied } from '../harness/process/spawn.js';
import { realPaths } from '../helpers/real-parts.js';

const describeNode = describe.skipIf(!haveNodeParts('busyboxImage'));

// What lies between the kill and the last change undone: the worker noticing its runner is gone, the watcher's
// kills, then the teardown script (a second's pause between two kill passes, `kube-proxy --cleanup`, some forty
// iptables calls, each taking the xtables lock): a few seconds on a quiet machine; 30 s leaves room for a loaded
// two-core one. An untied node never goes, so any bound tells the two apart.
const GONE_WITHIN_MS = 30_000;
// The runner's start, a node start (control plane, containerd, kubelet Ready) and a pod on a loaded machine.
const READY_WITHIN_MS = 300_000;

interface Ready {
  readonly worker: number;
  readonly nodeDir: string;
  readonly container: number;
}

/** Every process whose command line names `dir` (containerd's shims leave the runner's tree). */
function naming(dir: string): Seen[] {
  const found: Seen[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const seen = seenPid(Number(entry));
    if (seen !== undefined && seen.argv.join(' ').includes(dir)) found.push(seen);
  }
  return found;
}

/** Every process in the node's cgroups (the containers and their sandboxes' pause processes). */
function inNodeCgroups(): Seen[] {
  const pids = new Set<number>();
  const walk = (folder: string) => {
    for (const d of readdirSync(folder, { withFileTypes: true })) {
      if (d.isDirectory()) walk(join(folder, d.name));
      else if (d.name === 'cgroup.procs') {
        for (const p of readFileSync(join(folder, d.name), 'utf8').split('\n').filter(Boolean)) pids.add(Number(p));
      }
    }
  };
  for (const h of readdirSync('/sys/fs/cgroup')) {
    for (const c of CGROUPS) if (existsSync(`/sys/fs/cgroup/${h}/${c}`)) walk(`/sys/fs/cgroup/${h}/${c}`);
  }
  return [...pids].map(seenPid).filter((s): s is Seen => s !== undefined);
}

function seenPid(pid: number): Seen | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, start, argv };
  } catch {
    return undefined;
  }
}

/** What of the node is still on the machine, compared with `before`: empty once everything is undone. */
function leftOver(before: MachineBefore, processes: Seen[]): string[] {
  const now = recordMachine();
  const kept = new Set(before.chains);
  return [
    ...processes.filter(running).map((p) => `process ${p.pid} ${p.argv.join(' ').slice(0, 100)}`),
    ...(existsSync(`/sys/class/net/${NODE_NETWORK.bridge}`) ? [`bridge ${NODE_NETWORK.bridge}`] : []),
    ...now.chains.filter((c) => /^(KUBE|CNI)-/.test(c.split(' ')[2] ?? '') && !kept.has(c)).map((c) => `chain ${c}`),
    ...Object.entries(before.sysctls)
      .filter(([name, value]) => now.sysctls[name] !== value)
      .map(([name, value]) => `sysctl ${name} ${now.sysctls[name]} (was ${value})`),
  ];
}

async function untilNothingLeft(before: MachineBefore, processes: Seen[], ms: number): Promise<string[]> {
  const from = performance.now();
  let left = leftOver(before, processes);
  while (left.length > 0 && performance.now() - from < ms) {
    // Each look runs six iptables listings: a quarter second between looks keeps the xtables lock mostly free.
    await new Promise((r) => setTimeout(r, 250));
    left = leftOver(before, processes);
  }
  return left;
}

describeNode('a real node dies with the test runner', () => {
  it(
    'SIGKILL of the runner while its node runs a pod: everything the node made is gone within the bound',
    { timeout: NODE_LOCK_WAIT_MS + READY_WITHIN_MS + 2 * GONE_WITHIN_MS },
    async ({ annotate }) => {
      const lock = await lockNode(NODE_LOCK_WAIT_MS);
      const before = recordMachine();
      const dir = mkdtempSync(join(tmpdir(), 'aigw-node-kill-'));
      const out = join(dir, 'ready.json');
      const logFile = join(dir, 'runner.log');
      const readLog = () => readFileSync(logFile, 'utf8').slice(-4000);
      let runner: ChildProcess | undefined;
      let all: Seen[] = [];
      try {
        const log = openSync(logFile, 'a');
        runner = spawnTied(
          process.execPath,
          [
            join(process.cwd(), 'node_modules/vitest/vitest.mjs'),
            'run',
            '--config',
            'test/real-node/fixture/vitest.config.ts',
          ],
          {
            env: { ...process.env, AIGW_NODE_KILL_OUT: out, [LOCK_LENT_ENV]: ownerLine() },
            stdio: ['ignore', log, log],
          },
        );
        closeSync(log);
        const pid = runner.pid;
        if (pid === undefined) throw new Error('the runner did not start');
        const deadline = Date.now() + READY_WITHIN_MS;
        let ready: Ready | undefined;
        while (ready === undefined) {
          if (existsSync(out)) ready = JSON.parse(readFileSync(out, 'utf8')) as Ready;
          else if (runner.exitCode !== null) throw new Error(`the runner exited ${runner.exitCode}:\n${readLog()}`);
          else if (Date.now() > deadline) throw new Error(`no node in ${READY_WITHIN_MS} ms:\n${readLog()}`);
          else await new Promise((r) => setTimeout(r, 500));
        }

        const byPid = new Map<number, Seen>();
        for (const p of [...descendants(pid), ...naming(ready.nodeDir), ...inNodeCgroups()]) byPid.set(p.pid, p);
        all = [...byPid.values()];
        const is = (binary: string) => (p: Seen) => p.argv[0] === binary;
        const expected: [string, (p: Seen) => boolean][] = [
          ['etcd', is(realPaths.etcd)],
          ['kube-apiserver', is(realPaths.kubeApiserver)],
          ['kube-controller-manager', is(realPaths.kubeControllerManager)],
          ['kube-scheduler', is(realPaths.kubeScheduler)],
          ['containerd', is(realPaths.containerd)],
          ['a containerd shim', (p) => (p.argv[0] ?? '').endsWith('containerd-shim-runc-v2')],
          ['the kubelet', is(realPaths.kubelet)],
          ['kube-proxy', is(realPaths.kubeProxy)],
          ["the pod's container", (p) => p.pid === ready.container],
        ];
        for (const [name, matches] of expected) {
          expect(all.some(matches), `${name} runs:\n${all.map((p) => p.argv[0]).join('\n')}`).toBe(true);
        }
        expect(existsSync(`/sys/class/net/${NODE_NETWORK.bridge}`), 'the bridge is up').toBe(true);
        expect(
          leftOver(before, []).some((l) => l.startsWith('chain ')),
          'the node added chains',
        ).toBe(true);

        process.kill(pid, 'SIGKILL');
        const killedAt = performance.now();
        const left = await untilNothingLeft(before, all, GONE_WITHIN_MS);
        const goneMs = Math.round(performance.now() - killedAt);
        expect(left, `left ${goneMs} ms after the kill`).toEqual([]);
        expect(readFileSync(join(LOCK_PATH, 'owner'), 'utf8').trim(), 'the lent lock is still ours').toBe(ownerLine());
        await annotate(`${all.length} processes, the bridge, chains and sysctls undone ${goneMs} ms after the kill`);
      } finally {
        // A failed test's node: kill the runner (its watcher undoes the node) and wait for that before unlocking.
        runner?.kill('SIGKILL');
        await untilNothingLeft(before, all, GONE_WITHIN_MS);
        lock.release();
      }
    },
  );
});
