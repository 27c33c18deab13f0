import type { Annotations } from '../core/read-annotations.js';
import type { KubeApi } from '../kube/api.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { NamespaceInformer, type InformerTuning, type NamespaceChange } from './informer.js';
import type { NamespaceSource } from './source.js';

export interface ClusterSourceTuning extends InformerTuning {
  /** Deadline of the direct GET on a cache miss (a namespace created just before its first pod). */
  readonly missTimeoutMs: number;
  /** After a failed GET, answer `unknown` for this long instead of asking again on every pod. */
  readonly missRetryMs: number;
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

/**
 * Cluster mode: namespaces from a list-then-watch informer held in memory, with only our annotations kept.
 * A miss is answered by one direct GET (shared by concurrent reviews of that namespace), then cached.
 */
export function clusterNamespaceSource(
  api: KubeApi,
  logger: Logger,
  metrics: Metrics,
  tuning: ClusterSourceTuning = DEFAULT_TUNING,
  onChange?: NamespaceChange,
): NamespaceSource & { synced: Promise<void>; all: () => ReadonlyMap<string, Annotations> } {
  const cache = new StampedCache();
  const stopper = new AbortController();
  let synced = false;
  let markSynced: () => void = () => undefined;
  const syncedPromise = new Promise<void>((resolve) => (markSynced = resolve));
  const onSynced = () => {
    synced = true;
    markSynced();
  };
  void new NamespaceInformer(api, cache, { logger, metrics, tuning, onSynced, onChange }, stopper.signal).run();
  const miss = missResolver(api, cache, logger, tuning);
  return {
    get: (name) => cache.get(name) ?? miss(name),
    ready: () => synced,
    all: () => cache,
    synced: syncedPromise,
    stop: () => stopper.abort(),
  };
}

/**
 * The informer's cache, counting its writes: a cache-miss GET that answers after a watch event (or a relist) for
 * the same namespace must not overwrite the newer state. A stamp of writes, rather than comparing
 * resourceVersions, which the API conventions call opaque.
 */
class StampedCache extends Map<string, Annotations> {
  private generation = 0;
  private readonly writes = new Map<string, number>();

  stamp(name: string): string {
    return `${this.generation}/${this.writes.get(name) ?? 0}`;
  }

  override set(name: string, annotations: Annotations): this {
    this.bump(name);
    return super.set(name, annotations);
  }

  override delete(name: string): boolean {
    this.bump(name);
    return super.delete(name);
  }

  override clear(): void {
    this.generation++;
    this.writes.clear();
    super.clear();
  }

  private bump(name: string): void {
    // One counter per name ever written: as many as the cache holds, plus deletions since the last relist.
    this.writes.set(name, (this.writes.get(name) ?? 0) + 1);
  }
}

function missResolver(api: KubeApi, cache: StampedCache, logger: Logger, tuning: ClusterSourceTuning) {
  const pending = new Map<string, Promise<Annotations | undefined>>();
  const failedUntil = new Map<string, number>();
  return (name: string): Promise<Annotations | undefined> => {
    const inFlight = pending.get(name);
    if (inFlight !== undefined) return inFlight;
    if ((failedUntil.get(name) ?? 0) > Date.now()) return Promise.resolve(undefined);
    const asked = cache.stamp(name);
    const request = api
      .getNamespace(name, tuning.missTimeoutMs)
      .then(
        (annotations) => {
          failedUntil.delete(name);
          // The watch (or a relist) spoke about this namespace while we asked: what it said is newer.
          if (cache.stamp(name) !== asked) return cache.get(name);
          if (annotations === null) return undefined;
          cache.set(name, annotations);
          return annotations;
        },
        (error: unknown) => {
          failedUntil.set(name, Date.now() + tuning.missRetryMs);
          const err = error instanceof Error ? error.message : String(error);
          logger.warn({ namespace: name, err }, 'namespace lookup failed');
          return undefined;
        },
      )
      .finally(() => pending.delete(name));
    pending.set(name, request);
    return request;
  };
}
