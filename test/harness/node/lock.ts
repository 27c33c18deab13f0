/**
 * One real node at a time on a machine: its bridge, address range, cgroups and iptables chains are the machine's.
 * Each test file that starts a node takes this lock first (vitest runs files in parallel workers), so the files
 * run one after another. The lock is a folder made atomically, holding the owner's pid and start time; a lock whose
 * owner is gone (a runner that was killed) is stale and taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTime } from '../process/spawn.js';

export const LOCK_PATH = join(tmpdir(), 'aigw-real-node.lock');
const LOCK = LOCK_PATH;
// How often a waiting file looks again: a node runs for minutes, so a second's delay costs nothing.
const POLL_MS = 1000;

function ownerAlive(): boolean {
  try {
    const [pid, started] = readFileSync(join(LOCK, 'owner'), 'utf8').trim().split(' ');
    return started !== undefined && startTime(Number(pid)) === started;
  } catch {
    // No owner file yet: the owner is between mkdir and write; count it alive.
    return true;
  }
}

/**
 * Set by a test that holds the lock and starts a vitest runner whose node it lends the lock to (runner-killed.test.ts):
 * the holder's owner line (`<pid> <start time>`). That runner's node then uses the lock without taking or freeing it.
 */
export const LOCK_LENT_ENV = 'AIGW_NODE_LOCK_LENT';

export interface NodeLock {
  readonly release: () => void;
  readonly waitedMs: number;
  /** Held by an ancestor that lent it (LOCK_LENT_ENV): neither release() nor the death script frees it. */
  readonly lent: boolean;
}

/** The owner line this process writes into the lock. */
export const ownerLine = () => `${process.pid} ${startTime(process.pid) ?? ''}`;

/** Waits until this process holds the lock (up to `ms`); resolves to the release function and the wait. */
export async function lockNode(ms: number): Promise<NodeLock> {
  const began = Date.now();
  const lentBy = process.env[LOCK_LENT_ENV];
  if (lentBy !== undefined && lentBy !== '') {
    let owner = '';
    try {
      owner = readFileSync(join(LOCK, 'owner'), 'utf8').trim();
    } catch {
      // no lock: reported below
    }
    if (owner !== lentBy)
      throw new Error(`${LOCK_LENT_ENV} says ${lentBy} lent the node lock, but ${LOCK} has ${owner}`);
    return { release: () => undefined, waitedMs: 0, lent: true };
  }
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'owner'), ownerLine());
      return {
        release: () => rmSync(LOCK, { recursive: true, force: true }),
        waitedMs: Date.now() - began,
        lent: false,
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!ownerAlive()) {
      rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - began > ms) throw new Error(`another real node held ${LOCK} for more than ${ms} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
