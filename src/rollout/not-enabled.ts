import type { Annotations } from '../core/read-annotations.js';
import { autoRolloutOn, configHash } from '../core/rollout.js';
import type { EventTarget } from '../kube/events.js';
import type { Logger } from '../observability/logger.js';

export const NOT_ENABLED_REASON = 'AutoRolloutNotEnabled';

const MESSAGE =
  'aigw-otel.io/auto-rollout is "true" but this install cannot roll workloads: add the component ' +
  'manifests/components/auto-rollout (it grants the RBAC); until then, roll them yourself';

/**
 * Stands in for auto-rollout when this install does not include it: a namespace that asks for it is told, by a
 * log line and a Warning Event on the namespace, once per configuration (the recorder folds repeats into a count).
 */
export function autoRolloutNotEnabled(deps: {
  readonly logger: Logger;
  readonly warn: (target: EventTarget, reason: string, message: string) => void;
}) {
  const told = new Set<string>();
  const tell = (name: string, annotations: Annotations | undefined) => {
    if (annotations === undefined || !autoRolloutOn(annotations)) return;
    const key = `${name}/${configHash(annotations)}`;
    if (told.has(key)) return;
    told.add(key);
    deps.logger.warn({ namespace: name }, 'auto-rollout asked for but not enabled in this install');
    // Without a uid: the namespace informer keeps names and annotations only, and `kubectl describe namespace`
    // lists no Events whatever their uid; `kubectl get events -n <namespace>` finds this one.
    deps.warn({ kind: 'Namespace', name, namespace: name, apiVersion: 'v1' }, NOT_ENABLED_REASON, MESSAGE);
  };
  return {
    namespaceChanged: (name: string, _previous: Annotations | undefined, current: Annotations | undefined) =>
      tell(name, current),
    synced: (all: ReadonlyMap<string, Annotations>) => {
      for (const [name, annotations] of all) tell(name, annotations);
    },
  };
}
