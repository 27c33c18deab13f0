/**
 * Nothing a test starts outlives the test runner: a vitest runner is started here, its worker starts a real
 * control plane (etcd, kube-apiserver, kube-controller-manager), an injector (dist/main.js) and a shell with a
 * child of its own, and then the runner — or the worker alone — is killed with SIGKILL, which no handler can see.
 * Every process below the killed one must be gone, and the clean-up it registered (runOnDeath) run, within a bound
 * measured from the kill.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { haveRealParts, realPaths } from '../../helpers/real-parts.js';
import { descendants, running, type Seen } from './proc.js';
import { spawnTied } from './spawn.js';

// An orphan never dies, so any bound tells tied from untied. What lies between the kill and the last exit is the
// worker noticing its runner is gone, the watcher's sh reading end-of-file and a few kills: well under a second
// on a quiet machine; 10 s leaves room for a loaded two-core one.
const GONE_WITHIN_MS = 10_000;
// A control plane waits up to 90 s per component on a loaded machine (control-plane.ts); three in a row, plus the
// runner's own start.
const READY_WITHIN_MS = 240_000;

const describeReal = describe.skipIf(!haveRealParts('etcd', 'kubeApiserver', 'kubeControllerManager', 'kubectl'));

interface Runner {
  readonly pid: number;
  readonly worker: number;
  /** The file the worker's runOnDeath script writes. */
  readonly mark: string;
  readonly log: () => string;
}

const runners: ChildProcess[] = [];
// Everything seen below a runner, for afterEach: once a runner is killed, its survivors are no longer below it.
const seen: Seen[] = [];

/** A vitest runner on the fixture, resolved once its worker has started everything. */
async function startRunner(): Promise<Runner> {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-lifetime-'));
  const out = join(dir, 'ready.json');
  const logFile = join(dir, 'runner.log');
  const log = openSync(logFile, 'a');
  const vitest = join(process.cwd(), 'node_modules/vitest/vitest.mjs');
  const child = spawnTied(
    process.execPath,
    [vitest, 'run', '--config', 'test/harness/process/fixture/vitest.config.ts'],
    {
      env: {
        ...process.env,
        AIGW_LIFETIME_OUT: out,
        AIGW_LIFETIME_START: 'sleeper,control-plane,injector',
        AIGW_LIFETIME_MARK: join(dir, 'restored'),
      },
      stdio: ['ignore', log, log],
    },
  );
  closeSync(log);
  if (child.pid === undefined) throw new Error('the runner did not start');
  runners.push(child);
  const readLog = () => readFileSync(logFile, 'utf8');
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    try {
      const ready = JSON.parse(readFileSync(out, 'utf8')) as { worker: number };
      return { pid: child.pid, worker: ready.worker, mark: join(dir, 'restored'), log: readLog };
    } catch {
      // not written yet
    }
    if (child.exitCode !== null) throw new Error(`the runner exited ${child.exitCode}:\n${readLog()}`);
    if (Date.now() > deadline) throw new Error(`the runner was not ready in ${READY_WITHIN_MS} ms:\n${readLog()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const is = (argv0: string) => (p: Seen) => p.argv[0] === argv0;
const EXPECTED: [string, (p: Seen) => boolean][] = [
  ['etcd', is(realPaths.etcd)],
  ['kube-apiserver', is(realPaths.kubeApiserver)],
  ['kube-controller-manager', is(realPaths.kubeControllerManager)],
  ['the injector', (p) => p.argv[0] === process.execPath && p.argv[1] === 'dist/main.js'],
  ['the shell', (p) => p.argv[0] === 'sh' && p.argv.includes('sleep 1000 & wait')],
  ["the shell's child", (p) => p.argv[0] === 'sleep' && p.argv[1] === '1000'],
  ['the lifeline watcher', (p) => p.argv[0] === 'sh' && (p.argv[1] ?? '').endsWith('/watch.sh')],
];

afterEach(() => {
  // A failed test's survivors: by pid, each checked against its start time.
  for (const p of seen.splice(0)) if (running(p)) process.kill(p.pid, 'SIGKILL');
  // By its ChildProcess: it will not signal a runner already reaped.
  for (const runner of runners.splice(0)) runner.kill('SIGKILL');
});

describeReal('what tests start dies with the test runner', () => {
  it.for([
    ['the runner', (r: Runner) => r.pid],
    ['its worker alone', (r: Runner) => r.worker],
  ] as const)(
    'SIGKILL of %s: every process below it is gone within the bound',
    { timeout: READY_WITHIN_MS + 60_000 },
    async ([, victimOf], { annotate }) => {
      const runner = await startRunner();
      const victim = victimOf(runner);
      seen.push(...descendants(runner.pid));
      const below = descendants(victim);
      for (const [name, matches] of EXPECTED) {
        expect(below.some(matches), `${name} runs below pid ${victim}:\n${runner.log()}`).toBe(true);
      }

      process.kill(victim, 'SIGKILL');
      const killedAt = performance.now();
      let left = below.filter(running);
      const restored = () => existsSync(runner.mark);
      while ((left.length > 0 || !restored()) && performance.now() - killedAt < GONE_WITHIN_MS) {
        await new Promise((r) => setTimeout(r, 20));
        left = left.filter(running);
      }
      const goneMs = Math.round(performance.now() - killedAt);
      const survivors = left.map((p) => `${p.pid} ${p.argv.join(' ').slice(0, 120)}`).join('\n');
      expect(survivors, `still running ${goneMs} ms after the kill`).toBe('');
      expect(restored(), 'the runOnDeath script ran').toBe(true);
      await annotate(`${below.length} processes gone ${goneMs} ms after the kill`);
    },
  );
});
