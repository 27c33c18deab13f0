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
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
