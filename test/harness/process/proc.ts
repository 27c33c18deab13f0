/** What /proc says about processes: a process tree, and whether a pid seen earlier still runs. */
import { readdirSync, readFileSync } from 'node:fs';

export interface Seen {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat: tells this process from a later one given the same pid. */
  readonly start: string;
  readonly argv: readonly string[];
}

/** state (field 3), ppid (field 4) and start time (field 22) of /proc/<pid>/stat; undefined once gone. */
function stat(pid: number): { state: string; ppid: number; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]), start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

function argv(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Every running descendant of `root` (children, their children, …), by the parent pids /proc gives now. */
export function descendants(root: number): Seen[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s === undefined || s.state === 'Z') continue;
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(entry)]);
  }
  const found: Seen[] = [];
  const queue = [...(children.get(root) ?? [])];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    const s = stat(pid);
    if (s !== undefined) found.push({ pid, start: s.start, argv: argv(pid) });
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Whether the process seen earlier still runs: same pid and start time, and not a zombie. */
export function running(seen: Seen): boolean {
  const s = stat(seen.pid);
  return s !== undefined && s.start === seen.start && s.state !== 'Z';
}
