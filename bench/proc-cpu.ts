/**
 * A process's CPU and wake-ups from /proc, for idle measurements where /proc/<pid>/stat's 10 ms ticks are too coarse:
 * the scheduler's own run time per thread (/proc/<pid>/task/<tid>/schedstat, nanoseconds) and the main thread's
 * context switches (each return from epoll_wait to run a timer or handle I/O is one voluntary switch).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time of every live thread of `pid`, in ns (threads that have exited are not counted: measure steady states). */
export function threadsCpuNs(pid: number): number {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return sum;
}

/** The main thread's voluntary context switches so far: how often its event loop went to sleep and woke. */
export function mainThreadWakeups(pid: number): number {
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** User + system CPU of the whole process (exited threads included), in ms, from /proc/<pid>/stat (USER_HZ 100). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export interface IdleReading {
  readonly name: string;
  /** ms of CPU per second of wall time, all threads (schedstat). */
  readonly cpuMsPerS: number;
  /** The same from /proc/<pid>/stat's ticks (10 ms resolution): a cross-check. */
  readonly cpuMsPerSTicks: number;
  /** Main-thread wake-ups per second. */
  readonly wakeupsPerS: number;
}

/** Reads every process at the start and the end of the same window, so all see the same machine. */
export async function measureWindow(
  processes: readonly { name: string; pid: number }[],
  seconds: number,
  during?: () => Promise<void>,
): Promise<IdleReading[]> {
  const read = (pid: number) => ({ ns: threadsCpuNs(pid), ms: processCpuMs(pid), wakes: mainThreadWakeups(pid) });
  const start = processes.map((p) => read(p.pid));
  const t0 = performance.now();
  await Promise.all([new Promise((r) => setTimeout(r, seconds * 1000)), during?.()]);
  const elapsedS = (performance.now() - t0) / 1000;
  return processes.map((p, i) => {
    const end = read(p.pid);
    const s = start[i]!;
    const round = (x: number) => Math.round(x * 1000) / 1000;
    return {
      name: p.name,
      cpuMsPerS: round((end.ns - s.ns) / 1e6 / elapsedS),
      cpuMsPerSTicks: round((end.ms - s.ms) / elapsedS),
      wakeupsPerS: round((end.wakes - s.wakes) / elapsedS),
    };
  });
}
