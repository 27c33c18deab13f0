/**
 * Processes a test starts die with the test's process, however it dies: a normal exit, a crash, SIGTERM or SIGKILL
 * of the vitest worker, or the vitest runner being killed (each worker then kills itself: exit-with-runner.ts).
 *
 * How: the first call in a process starts one watcher, a POSIX `sh` in its own session whose stdin is a pipe this
 * process holds and never writes to. The kernel closes that pipe when this process dies, in any way at all; the
 * watcher reads end-of-file, SIGKILLs the process group of every child `spawnTied` started (each runs in a group of
 * its own) and then runs the scripts `runOnDeath` registered. A pid is only killed while its start time (from
 * /proc) is still the one recorded at spawn, so a pid reused after the child ended is never hit.
 *
 * Why a watcher and not prctl(PR_SET_PDEATHSIG) (setpriv --pdeathsig): that signal is tied to the parent *thread*,
 * is cleared when the child changes its user (the container stand-in runs as 65532), reaches no grandchild, and
 * cannot restore what a test changed on the machine. A watcher per process costs one idle `sh`, needs no build
 * step and no compiler, and leaves the child's pid, signals, exit status and stdio exactly as `spawn` gives them.
 *
 * Not covered: spawnSync/execFileSync (no pid before they end; they run short commands that end by themselves), and
 * processes that leave their process group (setsid: containerd's shims); kill those from a `runOnDeath` script.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// $1 is the watcher's folder: pids/<pid> holds that child's start time, cleanup/<n> a script. Signals sent to a
// terminal's process group (Ctrl-C) or to everything are ignored: the watcher's one job is to outlive its parent.
// Builtins only in the loop (a test file may run hundreds of kubectl): no fork per pid. `kill -KILL -<pgid>` without
// `--`: dash, Debian's sh, takes `--` for a number.
const WATCHER = `
dir=$1
trap '' INT TERM HUP QUIT PIPE
while read -r _; do :; done
for f in "$dir"/pids/*; do
  [ -f "$f" ] || continue
  pid=\${f##*/}
  read -r want < "$f"
  if { read -r stat < "/proc/$pid/stat"; } 2>/dev/null; then
    set -- \${stat##*) }
    [ "\${20}" = "$want" ] || continue
    kill -KILL "-$pid" 2>/dev/null
    kill -KILL "$pid" 2>/dev/null
  else
    kill -KILL "-$pid" 2>/dev/null
  fi
done
for f in $(ls -r "$dir/cleanup"); do sh "$dir/cleanup/$f" >/dev/null 2>&1; done
rm -rf "$dir"
`;

let watcherDir: string | undefined;
let scripts = 0;

/** The watcher's folder, starting the watcher on first use. */
function watcher(): string {
  if (watcherDir !== undefined) return watcherDir;
  const dir = mkdtempSync(join(tmpdir(), 'aigw-lifeline-'));
  mkdirSync(join(dir, 'pids'));
  mkdirSync(join(dir, 'cleanup'));
  writeFileSync(join(dir, 'watch.sh'), WATCHER);
  const child = spawn('sh', [join(dir, 'watch.sh'), dir], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  if (child.pid === undefined) throw new Error('could not start the lifeline watcher (sh)');
  // Neither the watcher nor its pipe may keep this process's event loop alive.
  child.unref();
  child.stdin?.on('error', () => undefined);
  (child.stdin as unknown as { unref(): void }).unref();
  watcherDir = dir;
  return dir;
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function tied(file: string, ...rest: unknown[]): ChildProcess {
  const dir = watcher();
  const [args, options] = Array.isArray(rest[0]) ? [rest[0] as string[], rest[1]] : [[], rest[0]];
  const child = spawn(file, args, { ...(options as SpawnOptions | undefined), detached: true });
  // The child cannot have been reaped yet: that happens on the event loop, after this function returns.
  const started = child.pid === undefined ? undefined : startTime(child.pid);
  if (started !== undefined) writeFileSync(join(dir, 'pids', String(child.pid)), started);
  return child;
}

/**
 * node:child_process `spawn`: same arguments, same ChildProcess back (its pid is the program's own), in a process
 * group of its own (`detached` is forced on; never `unref()` it), and that group is SIGKILLed when this process
 * dies. Stopping it normally (SIGTERM by pid in afterAll) stays the caller's job.
 */
export const spawnTied = tied as typeof spawn;

/**
 * A POSIX sh script the watcher runs (after the kills) if this process dies before `cancel()` is called: for
 * restoring what a test changed on the machine. Scripts run in reverse order of registration.
 */
export function runOnDeath(script: string): () => void {
  const file = join(watcher(), 'cleanup', String(++scripts).padStart(6, '0'));
  writeFileSync(file, script);
  return () => rmSync(file, { force: true });
}
