import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubeApi, KubeEvent } from '../../src/kube/api.js';
import { eventRecorder } from '../../src/kube/events.js';
import { memoryLogger } from '../helpers/silent.js';

const target = { kind: 'ReplicaSet', name: 'aigw-6d4b9c7f8d', namespace: 'ai-gateway', uid: 'u-1' };

/** Only the two Event calls the recorder makes; each records what it was asked to write. */
function eventsApi() {
  const created: KubeEvent[] = [];
  const patched: { name: string; count: number }[] = [];
  const api = {
    createEvent: (e: KubeEvent) => (created.push(e), Promise.resolve()),
    patchEventCount: (_ns: string, name: string, count: number) => (patched.push({ name, count }), Promise.resolve()),
  } as unknown as KubeApi;
  return { api, created, patched };
}

describe('Event recorder timers (issue 27: nothing wakes an idle replica)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('holds no timer while there is nothing to send', () => {
    const recorder = eventRecorder(eventsApi().api, memoryLogger().logger);
    expect(vi.getTimerCount()).toBe(0);
    recorder.stop();
  });

  it('gathers the warnings of 2 s into one write, then holds no timer again', async () => {
    const { api, created } = eventsApi();
    const recorder = eventRecorder(api, memoryLogger().logger);
    for (let i = 0; i < 50; i++) recorder.warn(target, 'CollectorCAMissing', 'CA skipped');
    expect(vi.getTimerCount()).toBe(1);
    expect(created).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(created).toMatchObject([{ reason: 'CollectorCAMissing', count: 50 }]);
    expect(vi.getTimerCount()).toBe(0);
    recorder.stop();
  });

  it('adds to the same Event within 10 minutes, and starts a new one after 10 quiet minutes', async () => {
    let now = 1_000_000;
    const { api, created, patched } = eventsApi();
    const recorder = eventRecorder(api, memoryLogger().logger, () => now);
    const occur = async (minutesLater: number) => {
      now += minutesLater * 60_000;
      recorder.warn(target, 'CollectorCAMissing', 'CA skipped');
      await vi.advanceTimersByTimeAsync(2000);
    };
    await occur(0);
    await occur(9);
    await occur(11);
    expect(created.map((e) => e.count)).toEqual([1, 1]);
    expect(patched.map((p) => p.count)).toEqual([2]);
    recorder.stop();
  });

  it('sends nothing after stop, and flush still sends what is pending', async () => {
    const { api, created } = eventsApi();
    const recorder = eventRecorder(api, memoryLogger().logger);
    recorder.warn(target, 'CollectorCAMissing', 'CA skipped');
    recorder.stop();
    expect(vi.getTimerCount()).toBe(0);
    recorder.warn(target, 'CollectorCAMissing', 'CA skipped');
    expect(vi.getTimerCount()).toBe(0);
    await recorder.flush();
    expect(created).toMatchObject([{ count: 2 }]);
  });
});
