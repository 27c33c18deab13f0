import type { Annotations } from '../core/read-annotations.js';
import { KubeError, type KubeApi, type WatchEvent } from '../kube/api.js';
import { backoffMs, sleep } from '../kube/backoff.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface InformerTuning {
  /** First retry after a failure; doubles per consecutive failure (jittered). */
  readonly backoffBaseMs: number;
  /** Never wait longer than this between attempts. */
  readonly backoffCapMs: number;
  /** Ask the API server to end each watch after this long; a fresh one resumes from the last resourceVersion. */
  readonly watchTimeoutSeconds: number;
  /** A watch silent this long past its own timeout is presumed dead (a half-open connection) and restarted. */
  readonly watchGraceMs: number;
  /** Page size of the list. */
  readonly pageSize: number;
  readonly listTimeoutMs: number;
}

// A watch closed sooner than this after it opened counts as a failure for backoff.
const QUICK_CLOSE_MS = 1000;

type WatchEnd = 'closed' | 'gone';

/** A namespace's annotations changed after the first list: `undefined` for one that did not exist or is gone. */
export type NamespaceChange = (
  name: string,
  previous: Annotations | undefined,
  current: Annotations | undefined,
) => void;

export interface InformerDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tuning: InformerTuning;
  readonly onSynced: () => void;
  readonly onChange?: NamespaceChange;
}

/**
 * List, then watch, namespaces into `cache`, for as long as `signal` is not aborted. It never stays down:
 * a closed watch resumes from its resourceVersion, an error retries with capped jittered backoff, and
 * 410 Gone lists afresh. `onSynced` is called after the first complete list.
 */
export class NamespaceInformer {
  private resourceVersion = '';
  private endWatch: (() => void) | undefined;
  private synced = false;

  constructor(
    private readonly api: KubeApi,
    private readonly cache: Map<string, Annotations>,
    private readonly deps: InformerDeps,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => this.endWatch?.(), { once: true });
  }

  async run(): Promise<void> {
    const { tuning } = this.deps;
    let failures = 0;
    while (!this.signal.aborted) {
      try {
        if (this.resourceVersion === '') await this.relist();
        const started = Date.now();
        const ended = await this.watchOnce();
        if (ended === 'closed' && Date.now() - started < QUICK_CLOSE_MS) {
          // A watch that ends as soon as it starts would otherwise loop hot.
          await sleep(backoffMs(++failures, tuning.backoffBaseMs, tuning.backoffCapMs), this.signal);
          continue;
        }
        failures = 0;
        if (ended === 'gone') this.expired();
      } catch (error) {
        if (this.signal.aborted) break;
        await this.retryAfter(error, ++failures);
      }
    }
  }

  private expired(): void {
    this.deps.metrics.namespaceReloads.inc({ result: 'gone' });
    this.deps.logger.info('namespace watch expired (410 Gone); listing afresh');
    this.resourceVersion = '';
  }

  private async retryAfter(error: unknown, failures: number): Promise<void> {
    const { logger, metrics, tuning } = this.deps;
    const status = error instanceof KubeError ? error.status : undefined;
    if (status === 410) this.resourceVersion = '';
    const wait = backoffMs(failures, tuning.backoffBaseMs, tuning.backoffCapMs);
    metrics.namespaceReloads.inc({ result: 'error' });
    const err = error instanceof Error ? error.message : String(error);
    logger.warn({ err, status, retryInMs: wait, failures }, 'namespace informer restarting');
    await sleep(wait, this.signal);
  }

  private async relist(): Promise<void> {
    const { tuning, metrics, logger } = this.deps;
    const fresh = new Map<string, Annotations>();
    let continueToken: string | undefined;
    let version = '';
    do {
      const page = await this.api.listNamespaces({
        limit: tuning.pageSize,
        continueToken,
        timeoutMs: tuning.listTimeoutMs,
      });
      for (const item of page.items) fresh.set(item.name, item.annotations);
      continueToken = page.continue;
      version = page.resourceVersion;
    } while (continueToken !== undefined && !this.signal.aborted);
    const previous = this.synced ? new Map(this.cache) : undefined;
    this.cache.clear();
    for (const [name, annotations] of fresh) this.cache.set(name, annotations);
    // A relist (after 410 Gone or an error) may carry changes no watch event reported.
    if (previous !== undefined) {
      for (const name of new Set([...previous.keys(), ...fresh.keys()])) {
        this.deps.onChange?.(name, previous.get(name), fresh.get(name));
      }
    }
    this.synced = true;
    this.resourceVersion = version;
    metrics.namespaces.set(this.cache.size);
    metrics.namespacesSynced.set(1);
    metrics.namespaceLastEvent.setToCurrentTime();
    metrics.namespaceReloads.inc({ result: 'ok' });
    logger.info({ namespaces: this.cache.size }, 'namespaces listed');
    this.deps.onSynced();
  }

  /** Applies one event to the cache; 'gone' when the watch must be replaced by a fresh list. */
  private apply(event: WatchEvent): 'gone' | undefined {
    if (event.type === 'ERROR') {
      if (event.code === 410) return 'gone';
      throw new KubeError(`watch error: ${event.message}`, event.code);
    }
    this.resourceVersion = event.resourceVersion || this.resourceVersion;
    this.deps.metrics.namespaceLastEvent.setToCurrentTime();
    if (event.type === 'BOOKMARK') return undefined;
    const previous = this.cache.get(event.name);
    if (event.type === 'DELETED') this.cache.delete(event.name);
    else this.cache.set(event.name, event.annotations);
    this.deps.onChange?.(event.name, previous, this.cache.get(event.name));
    this.deps.metrics.namespaces.set(this.cache.size);
    return undefined;
  }

  /** One watch, until it ends: resolves 'closed' or 'gone', rejects on an error or a silent connection. */
  private watchOnce(): Promise<WatchEnd> {
    const { tuning } = this.deps;
    return new Promise<WatchEnd>((resolve, reject) => {
      let outcome: WatchEnd | KubeError = 'closed';
      const stopWith = (o: WatchEnd | KubeError) => {
        outcome = o;
        this.endWatch?.();
      };
      const watchdog = new Watchdog(tuning.watchTimeoutSeconds * 1000 + tuning.watchGraceMs, () =>
        stopWith(new KubeError('watch silent for too long', undefined)),
      );
      const onEvent = (event: WatchEvent) => {
        watchdog.pet();
        try {
          if (this.apply(event) === 'gone') stopWith('gone');
        } catch (error) {
          stopWith(error instanceof KubeError ? error : new KubeError(String(error), undefined));
        }
      };
      const onDone = (error: KubeError | undefined) => {
        watchdog.stop();
        this.endWatch = undefined;
        if (outcome instanceof KubeError) return reject(outcome);
        if (outcome === 'gone' || error?.status === 410) return resolve('gone');
        if (error !== undefined && !this.signal.aborted) return reject(error);
        resolve('closed');
      };
      this.api
        .watchNamespaces(this.resourceVersion, tuning.watchTimeoutSeconds, onEvent, onDone, tuning.listTimeoutMs)
        .then(
          (end) => {
            this.endWatch = end;
            if (this.signal.aborted) end();
          },
          (error: unknown) => {
            watchdog.stop();
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
    });
  }
}

/** Calls `onSilence` when `pet` has not been called for `ms`. */
class Watchdog {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly onSilence: () => void,
  ) {
    this.pet();
  }

  pet(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onSilence, this.ms);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
