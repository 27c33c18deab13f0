import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pollFile } from '../../src/files/poll.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-poll-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(`${path}.new`, text);
  renameSync(`${path}.new`, path);
  return path;
};

describe('file polling timers (issue 27: one wake-up per interval)', () => {
  afterEach(() => vi.useRealTimers());

  it.each([
    ['two pollers at one interval share a timer, kept while either polls', [1500, 1500], 1, 1],
    ['pollers at different intervals keep their own', [1500, 2500], 2, 1],
  ])('%s', (_name, intervals, timers, afterFirstStops) => {
    vi.useFakeTimers();
    const pollers = intervals.map((ms) => pollFile([file('a', 'a')], ms, () => undefined));
    expect(vi.getTimerCount()).toBe(timers);
    pollers[0]?.stop();
    expect(vi.getTimerCount()).toBe(afterFirstStops);
    pollers[1]?.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('tells each poller of a shared timer about its own files only', async () => {
    const [a, b] = [file('shared-a', 'one'), file('shared-b', 'one')];
    const changed: string[] = [];
    const pollers = [pollFile([a], 100, () => changed.push('a')), pollFile([b], 100, () => changed.push('b'))];
    await new Promise((r) => setTimeout(r, 250));
    file('shared-b', 'two, longer');
    const deadline = Date.now() + 5000;
    while (!changed.includes('b') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    pollers.forEach((p) => p.stop());
    expect(changed).toEqual(['b']);
  });
});
