/**
 * A vitest setup file: a fork worker whose runner died (its IPC channel to the runner closed) kills itself at once,
 * so it cannot outlive the runner with a test still running, and its lifeline watcher (spawn.ts) then kills what
 * the worker started. vitest itself stops a worker with SIGTERM, never by closing the channel, so a normal run
 * never takes this path.
 */
const ARMED = Symbol.for('aigw.exit-with-runner');
const proc = process as NodeJS.Process & { [ARMED]?: true };

if (process.send !== undefined && proc[ARMED] === undefined) {
  proc[ARMED] = true;
  // SIGKILL, not exit(): vitest replaces process.exit inside tests, and nothing is left to report to.
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
