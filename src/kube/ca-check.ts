import type { CaCheck } from '../admission/mutate-pods.js';
import type { CaStatus } from '../core/mounts.js';
import type { Logger } from '../observability/logger.js';
import type { KubeApi } from './api.js';

// The pre-flight GET must fit many times over in the 5 s review timeout.
const CHECK_TIMEOUT_MS = 1000;
// Cached for a short while: a rollout of 50 pods makes one GET; a ConfigMap created after a warning counts within 20 s.
const CACHE_TTL_MS = 20_000;
// Bounds memory if pods reference endless distinct ConfigMaps.
const MAX_ENTRIES = 10_000;

/**
 * CA pre-flight: does the ConfigMap exist in the pod's namespace and hold the key? A failed or slow check
 * answers `unchecked`, and the CA is injected as configured (fail open). Concurrent checks share one GET.
 */
export function caChecker(api: KubeApi, logger: Logger, now: () => number = Date.now): CaCheck {
  const cache = new Map<string, { until: number; keys: readonly string[] | null }>();
  const pending = new Map<string, Promise<readonly string[] | null | 'error'>>();

  const fetchKeys = (namespace: string, name: string) => {
    const id = `${namespace}/${name}`;
    const inFlight = pending.get(id);
    if (inFlight !== undefined) return inFlight;
    const request = api.getConfigMapKeys(namespace, name, CHECK_TIMEOUT_MS).then(
      (keys) => {
        if (cache.size >= MAX_ENTRIES) cache.clear();
        cache.set(id, { until: now() + CACHE_TTL_MS, keys });
        return keys;
      },
      (error: unknown) => {
        logger.warn(
          { namespace, configMap: name, err: error instanceof Error ? error.message : String(error) },
          'CA pre-flight failed; injecting as configured',
        );
        return 'error' as const;
      },
    );
    pending.set(id, request);
    void request.finally(() => pending.delete(id));
    return request;
  };

  return async (namespace, name, key): Promise<CaStatus> => {
    const cached = cache.get(`${namespace}/${name}`);
    const keys = cached !== undefined && cached.until > now() ? cached.keys : await fetchKeys(namespace, name);
    if (keys === 'error') return 'unchecked';
    if (keys === null) return 'missing-configmap';
    return keys.includes(key) ? 'present' : 'missing-key';
  };
}
