import type { Annotations } from '../core/read-annotations.js';
import { KubeError, type KubeApi, type WatchEvent } from '../kube/api.js';
import { backoffMs, sleep } from '../kube/backoff.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { NamespaceSource } from './source.js';

export interface ClusterSourceTuning {
  /** First retry after a failure; doubles per consecutive failure (jittered). */
  readonly backoffBaseMs: number;
  /** Never wait longer than this between attempts. */
  readonly backoffCapMs: number;
  /** Ask the API server to end each watch after this long; a fresh one resumes from the last resourceVersion. */
  readonly watchTimeoutSeconds: number;
  /** A watch silent this long past its own timeout is presumed dead (a half-open connection) and restarted. */
  readonly watchGraceMs: number;
  /** Deadline of the direct GET on a cache miss (a namespace created just before its first pod). */
  readonly missTimeoutMs: number;
  /** After a failed GET, answer `unknown` for this long instead of asking again on every pod. */
  readonly missRetryMs: number;
  /** Page size of the initial list. */
  readonly pageSize: number;
  readonly listTimeoutMs: number;
}

export const DEFAULT_TUNING: ClusterSourceTuning = {
  backoffBaseMs: 500, // quick first retry: most drops are a rolling API server restart
  backoffCapMs: 30_000, // a dead API server gets one attempt per ~30 s per replica, not a storm
  watchTimeoutSeconds: 300, // the API server's own default range for watches is 5-10 min
  watchGraceMs: 30_000, // bookmarks arrive about once a minute; this is well past that
  missTimeoutMs: 2000, // the ceiling; leaves 3 s of the 5 s review timeout
  missRetryMs: 5000, // a storm of pods during an outage waits on at most one GET per 5 s per namespace
  pageSize: 500, // kubectl's own page size
  listTimeoutMs: 30_000, // one page of 500 namespaces is far smaller than this allows
};

// A watch closed sooner than this after it opened counts as a failure for backoff.
const QUICK_CLOSE_MS = 1000;

/**
 * Cluster mode: namespaces from a list-then-watch informer held in memory, with only our annotations kept.
 * It never stays down: a closed watch resumes, an error retries with capped jittered backoff, and 410 Gone
 * lists afresh. A miss is answered by one direct GET (deduplicated per namespace), then cached.
 */
export function clusterNamespaceSource(
  api: KubeApi,
  logger: Logger,
  metrics: Metrics,
  tuning: ClusterSourceTuning = DEFAULT_TUNING,
): NamespaceSource & { synced: Promise<void> } {
  const cache = new Map<string, Annotations>();
  const misses = new Map<string, Promise<Annotations | undefined>>();
  const failedMisses = new Map<string, number>();
  const stopper = new AbortController();
  let resourceVersion = '';
  let synced = false;
  let markSynced: () => void = () => undefined;
  const syncedPromise = new Promise<void>((resolve) => (markSynced = resolve));
  let endWatch: (() => void) | undefined;

  const relist = async () => {
    const fresh = new Map<string, Annotations>();
    let continueToken: string | undefined;
    let version = '';
    do {
      const page = await api.listNamespaces({ limit: tuning.pageSize, continueToken, timeoutMs: tuning.listTimeoutMs });
      for (const item of page.items) fresh.set(item.name, item.annotations);
      continueToken = page.continue;
      version = page.resourceVersion;
    } while (continueToken !== undefined && !stopper.signal.aborted);
    cache.clear();
    for (const [name, annotations] of fresh) cache.set(name, annotations);
    resourceVersion = version;
    metrics.namespaces.set(cache.size);
    metrics.namespaceReloads.inc({ result: 'ok' });
    logger.info({ namespaces: cache.size }, 'namespaces listed');
    if (!synced) {
      synced = true;
      markSynced();
    }
  };

  const apply = (event: WatchEvent): 'gone' | undefined => {
    if (event.type === 'ERROR') {
      if (event.code === 410) return 'gone';
      throw new KubeError(`watch error: ${event.message}`, event.code);
    }
    resourceVersion = event.resourceVersion || resourceVersion;
    if (event.type === 'DELETED') cache.delete(event.name);
    else if (event.type !== 'BOOKMARK') cache.set(event.name, event.annotations);
    metrics.namespaces.set(cache.size);
    return undefined;
  };

  /** One watch, until it ends: resolves 'closed' or 'gone', rejects on an error. */
  const watchOnce = () =>
    new Promise<'closed' | 'gone'>((resolve, reject) => {
      let outcome: 'closed' | 'gone' | KubeError = 'closed';
      let watchdog: NodeJS.Timeout | undefined;
      const silenceLimit = tuning.watchTimeoutSeconds * 1000 + tuning.watchGraceMs;
      const pet = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          outcome = new KubeError('watch silent for too long', undefined);
          endWatch?.();
        }, silenceLimit);
        watchdog.unref();
      };
      const onEvent = (event: WatchEvent) => {
        pet();
        try {
          if (apply(event) === 'gone') {
            outcome = 'gone';
            endWatch?.();
          }
        } catch (error) {
          outcome = error as KubeError;
          endWatch?.();
        }
      };
      const onDone = (error: KubeError | undefined) => {
        clearTimeout(watchdog);
        endWatch = undefined;
        if (outcome !== 'closed') return outcome instanceof KubeError ? reject(outcome) : resolve(outcome);
        if (error?.status === 410) return resolve('gone');
        if (error !== undefined && !stopper.signal.aborted) return reject(error);
        resolve('closed');
      };
      pet();
      api.watchNamespaces(resourceVersion, tuning.watchTimeoutSeconds, onEvent, onDone).then(
        (end) => {
          endWatch = end;
          if (stopper.signal.aborted) end();
        },
        (error: unknown) => (clearTimeout(watchdog), reject(error)),
      );
    });

  const run = async () => {
    let failures = 0;
    while (!stopper.signal.aborted) {
      try {
        if (resourceVersion === '') await relist();
        const started = Date.now();
        const ended = await watchOnce();
        if (ended === 'closed' && Date.now() - started < QUICK_CLOSE_MS) {
          // A watch that ends as soon as it starts would otherwise loop hot.
          await sleep(backoffMs(++failures, tuning.backoffBaseMs, tuning.backoffCapMs), stopper.signal);
          continue;
        }
        failures = 0;
        if (ended === 'gone') {
          metrics.namespaceReloads.inc({ result: 'gone' });
          logger.info('namespace watch expired (410 Gone); listing afresh');
          resourceVersion = '';
        }
      } catch (error) {
        if (stopper.signal.aborted) break;
        failures++;
        const status = error instanceof KubeError ? error.status : undefined;
        if (status === 410) resourceVersion = '';
        const wait = backoffMs(failures, tuning.backoffBaseMs, tuning.backoffCapMs);
        metrics.namespaceReloads.inc({ result: 'error' });
        logger.warn({ err: error instanceof Error ? error.message : String(error), status, retryInMs: wait, failures }, 'namespace informer restarting');
        await sleep(wait, stopper.signal);
      }
    }
  };
  void run();

  const fetchMiss = (name: string): Promise<Annotations | undefined> => {
    const pending = misses.get(name);
    if (pending !== undefined) return pending;
    if ((failedMisses.get(name) ?? 0) > Date.now()) return Promise.resolve(undefined);
    const request = api
      .getNamespace(name, tuning.missTimeoutMs)
      .then(
        (annotations) => {
          failedMisses.delete(name);
          if (annotations === null) return undefined;
          cache.set(name, annotations);
          return annotations;
        },
        (error: unknown) => {
          failedMisses.set(name, Date.now() + tuning.missRetryMs);
          logger.warn({ namespace: name, err: error instanceof Error ? error.message : String(error) }, 'namespace lookup failed');
          return undefined;
        },
      )
      .finally(() => misses.delete(name));
    misses.set(name, request);
    return request;
  };

  return {
    get: (name) => cache.get(name) ?? fetchMiss(name),
    ready: () => synced,
    synced: syncedPromise,
    stop: () => {
      stopper.abort();
      endWatch?.();
    },
  };
}
