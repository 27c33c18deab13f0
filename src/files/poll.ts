import { stat } from 'node:fs/promises';

export interface Poller {
  stop(): void;
}

/**
 * Calls `onChange` whenever a file's identity (inode, size or mtime, following symlinks) changes.
 * Polling, not fs.watch: a mounted ConfigMap or Secret updates by swapping a symlink, which inotify
 * watches on the file miss. Errors (a file briefly absent mid-swap) count as a change once it is back.
 */
export function pollFile(paths: readonly string[], intervalMs: number, onChange: () => void): Poller {
  let last = '';
  let running = false;
  const check = async () => {
    if (running) return;
    running = true;
    try {
      const stamps = await Promise.all(
        paths.map((p) =>
          stat(p).then(
            (s) => `${s.ino}:${s.size}:${s.mtimeMs}`,
            () => 'missing',
          ),
        ),
      );
      const stamp = stamps.join('|');
      if (last !== '' && stamp !== last && !stamps.includes('missing')) onChange();
      if (!stamps.includes('missing') || last === '') last = stamp;
    } finally {
      running = false;
    }
  };
  void check();
  return { stop: onEveryTick(intervalMs, () => void check()) };
}

/**
 * One timer per interval for every poller at that interval (the serving certificate's pair and the namespaces file
 * share it): one wake-up per interval instead of one per poller, and unref'd, so it never holds the process up.
 */
const tickers = new Map<number, { timer: NodeJS.Timeout; checks: Set<() => void> }>();

function onEveryTick(intervalMs: number, check: () => void): () => void {
  let ticker = tickers.get(intervalMs);
  if (ticker === undefined) {
    const checks = new Set<() => void>();
    const timer = setInterval(() => checks.forEach((c) => c()), intervalMs);
    timer.unref();
    ticker = { timer, checks };
    tickers.set(intervalMs, ticker);
  }
  const { timer, checks } = ticker;
  checks.add(check);
  return () => {
    checks.delete(check);
    if (checks.size === 0 && tickers.get(intervalMs)?.timer === timer) {
      clearInterval(timer);
      tickers.delete(intervalMs);
    }
  };
}
