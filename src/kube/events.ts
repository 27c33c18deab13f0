import { createHash } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import { KubeError, type KubeApi } from './api.js';

/**
 * The object an Event is about. `kubectl describe` lists the Events whose involvedObject has the described object's
 * uid, so every target carries one where it can be known; the few without say why where they are made.
 */
export interface EventTarget {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly apiVersion?: string;
  readonly uid?: string;
}

export interface EventRecorder {
  /** Records an occurrence; Warning unless `type` says Normal (the collector probe's "reachable again"). */
  warn(target: EventTarget, reason: string, message: string, type?: 'Warning' | 'Normal'): void;
  /** Sends what is pending now; for tests and shutdown. */
  flush(): Promise<void>;
  stop(): void;
}

// Warnings from one rollout arrive within seconds: gather them into one write every 2 s.
const FLUSH_INTERVAL_MS = 2000;
// The API server's own event TTL is an hour; after 10 quiet minutes a new occurrence is a new event.
const SERIES_WINDOW_MS = 10 * 60_000;
// Bounds memory when many distinct warnings arrive; the oldest series are forgotten first.
const MAX_SERIES = 1000;

interface Series {
  readonly target: EventTarget;
  readonly reason: string;
  readonly message: string;
  readonly type: 'Warning' | 'Normal';
  readonly name: string;
  count: number;
  sent: number;
  created: boolean;
  lastSeen: number;
}

/**
 * Records warnings as Kubernetes Events (type Warning) on the pod's owner or namespace, deduplicated:
 * the same warning on the same object is one Event whose count grows, not one Event per pod.
 * Best effort and off the review path: failures are logged, never retried in a loop.
 */
export function eventRecorder(api: KubeApi, logger: Logger, now: () => number = Date.now): EventRecorder {
  const series = new Map<string, Series>();
  let flushing: Promise<void> = Promise.resolve();

  const create = async (s: Series, count: number, time: string) => {
    const { target, name, reason, message, type } = s;
    try {
      await api.createEvent({
        name,
        namespace: target.namespace,
        involvedObject: { ...target },
        reason,
        message,
        count,
        time,
        type,
      });
    } catch (error) {
      // Another replica created it first: add to its count instead.
      if (!(error instanceof KubeError && error.status === 409)) throw error;
      await api.patchEventCount(target.namespace, name, count, time);
    }
  };

  const send = async (s: Series) => {
    const count = s.count;
    const time = new Date(now()).toISOString();
    try {
      if (s.created) await api.patchEventCount(s.target.namespace, s.name, count, time);
      else await create(s, count, time);
      s.created = true;
      s.sent = count;
    } catch (error) {
      s.sent = count; // dropped, not retried: the next occurrence carries the count forward
      logger.warn(
        {
          reason: s.reason,
          object: `${s.target.kind}/${s.target.name}`,
          err: error instanceof Error ? error.message : String(error),
        },
        'event not recorded',
      );
    }
  };

  const flush = () => {
    flushing = flushing.then(async () => {
      const due = [...series.values()].filter((s) => s.count > s.sent);
      await Promise.all(due.map(send));
      const horizon = now() - SERIES_WINDOW_MS;
      for (const [key, s] of series) if (s.lastSeen < horizon) series.delete(key);
    });
    return flushing;
  };
  // Armed by the first warning after a flush, not ticking while there is nothing to send: an idle replica never wakes
  // for Events (issue 27).
  const timer = onDemandTimer(FLUSH_INTERVAL_MS, () => void flush());

  return {
    warn(target, reason, message, type = 'Warning') {
      // By uid too: a workload deleted and created again under its name is another object, with Events of its own.
      const key = `${target.namespace}/${target.kind}/${target.name}/${target.uid ?? ''}/${reason}/${message}`;
      let s = series.get(key);
      // Quiet for the window: a new Event, whether or not a flush has forgotten the old series yet.
      if (s !== undefined && s.lastSeen < now() - SERIES_WINDOW_MS && series.delete(key)) s = undefined;
      if (s === undefined) {
        if (series.size >= MAX_SERIES) series.delete(series.keys().next().value as string);
        const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
        s = {
          target,
          reason,
          message,
          type,
          name: `${target.name.slice(0, 200)}.aigw-otel.${hash}`,
          count: 0,
          sent: 0,
          created: false,
          lastSeen: 0,
        };
        series.set(key, s);
      }
      s.count++;
      s.lastSeen = now();
      timer.arm();
    },
    flush,
    stop: () => timer.stop(),
  };
}

/** A one-shot, unref'd timer started on demand: `arm` starts it unless it is already running or stopped for good. */
function onDemandTimer(ms: number, fire: () => void): { arm(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  return {
    arm() {
      if (timer !== undefined || stopped) return;
      timer = setTimeout(() => {
        timer = undefined;
        fire();
      }, ms);
      timer.unref();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
