import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { RecordedEvent } from '../core/collector-probe.js';
import { call, withTimeout } from './calls.js';

/** The Events recorded on a Namespace, as `status` reads them for the collector probe's last result. */
export type NamespaceEventReader = (namespace: string, timeoutMs: number) => Promise<RecordedEvent[]>;

/**
 * events list in one namespace, of the Events about the Namespace itself: made with the credentials of whoever
 * runs `status` (the injector itself never lists Events, and its RBAC does not let it).
 */
export function namespaceEventReader(kc: KubeConfig): NamespaceEventReader {
  const core = kc.makeApiClient(CoreV1Api);
  return (namespace, timeoutMs) =>
    call(async () => {
      const list = await core.listNamespacedEvent(
        { namespace, fieldSelector: `involvedObject.kind=Namespace,involvedObject.name=${namespace}` },
        withTimeout(timeoutMs),
      );
      return list.items.map((e) => ({
        reason: e.reason ?? '',
        message: e.message ?? '',
        time: new Date(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? 0).toISOString(),
      }));
    });
}
