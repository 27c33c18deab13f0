import type { Config } from '../config/config.js';
import type { Annotations } from '../core/read-annotations.js';
import type { KubeApi } from '../kube/api.js';
import type { EventRecorder } from '../kube/events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { CollectorMonitor } from './collector-monitor.js';

export interface ProbeWiring {
  readonly api: KubeApi;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly events: EventRecorder;
  readonly namespaces: () => ReadonlyMap<string, Annotations>;
}

/**
 * The collector probe of cluster mode, or undefined when COLLECTOR_PROBE=false. Loaded only when on: node:http2 and
 * node:tls cost memory an install without it need not pay.
 */
export async function createCollectorProbe(
  config: Config,
  { api, logger, metrics, events, namespaces }: ProbeWiring,
  isLeader: () => boolean,
): Promise<CollectorMonitor | undefined> {
  if (config.collectorProbe === undefined) {
    logger.info('collector probe off: COLLECTOR_PROBE is false');
    return undefined;
  }
  const { CollectorMonitor: Monitor } = await import('./collector-monitor.js');
  const { probeEndpoint } = await import('../probe/connect.js');
  return new Monitor({
    api,
    logger,
    metrics,
    namespaces,
    isLeader,
    record: (target, reason, message, type) => events.warn(target, reason, message, type),
    probe: probeEndpoint,
    tuning: config.collectorProbe,
  });
}
