import { pollFile, type Poller } from '../files/poll.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { loadKeyPair, type KeyPair } from './key-pair.js';

/**
 * Reloads the serving key pair when its files change and hands a good pair to `apply` (new connections
 * use it; open ones keep theirs). A broken or mismatched pair is refused, the last good one kept.
 */
export function watchKeyPair(
  files: { certFile: string; keyFile: string },
  apply: (pair: KeyPair) => void,
  logger: Logger,
  metrics: Metrics,
  intervalMs: number,
): Poller {
  return pollFile([files.certFile, files.keyFile], intervalMs, () => {
    loadKeyPair(files.certFile, files.keyFile).then(
      (pair) => {
        apply(pair);
        recordKeyPair(metrics, pair);
        logger.info({ notAfter: pair.notAfter.toISOString() }, 'serving certificate reloaded');
      },
      (error: unknown) => {
        metrics.certificateReloads.inc({ result: 'error' });
        logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'serving certificate not reloaded; keeping the last good one',
        );
      },
    );
  });
}

export function recordKeyPair(metrics: Metrics, pair: KeyPair): void {
  metrics.certificateReloads.inc({ result: 'ok' });
  metrics.certificateExpiry.set(Math.floor(pair.notAfter.getTime() / 1000));
}
