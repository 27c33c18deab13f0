import { formatProblem, type Problem } from '../core/problems.js';
import type { MutateOutcome } from './mutate-pods.js';
import type { AdmissionRequest } from './review.js';

export interface WarningEvent {
  readonly target: { kind: string; name: string; namespace: string; apiVersion?: string; uid?: string };
  readonly reason: string;
  readonly message: string;
}

const REASONS: Readonly<Record<NonNullable<Problem['kind']> | 'annotation', string>> = {
  'ca-missing': 'CollectorCAMissing',
  'ca-conflict': 'CollectorCAConflict',
  'client-cert-conflict': 'CollectorClientCertConflict',
  'env-from': 'TelemetryEnvOverridesEnvFrom',
  'attribute-left-out': 'TelemetryAttributeLeftOut',
  'protocol-not-for-core': 'TelemetryProtocolNotForCore',
  annotation: 'InvalidTelemetryAnnotation',
};

interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

/**
 * The Events that carry a pod review's warnings to whoever can act on them: the pod's controlling owner
 * (a ReplicaSet, whose Deployment the operator is looking at), or the namespace for a bare pod.
 * A dry run records nothing.
 */
export function warningEvents(request: AdmissionRequest, outcome: MutateOutcome): WarningEvent[] {
  const namespace = request.namespace;
  if (request.dryRun === true || namespace === undefined || namespace === '') return [];
  // A bare pod's warnings go on its namespace, named without a uid: a pod review names its namespace only, the
  // namespace informer keeps no uids, and `kubectl describe namespace` lists no Events whatever their uid
  // (`kubectl get events -n <namespace>` does).
  const target = ownerOf(request.object, namespace) ?? {
    kind: 'Namespace',
    name: namespace,
    namespace,
    apiVersion: 'v1',
  };
  if (outcome.reason === 'internal-error') {
    return [
      {
        target,
        reason: 'TelemetryInjectionFailed',
        message: 'aigw-otel-injector: internal error; pod admitted without injection',
      },
    ];
  }
  return outcome.problems.map((p) => ({ target, reason: REASONS[p.kind ?? 'annotation'], message: formatProblem(p) }));
}

/** The controlling owner with its uid from the pod's ownerReferences (the API server requires one in each). */
function ownerOf(object: unknown, namespace: string): WarningEvent['target'] | undefined {
  const refs = (object as { metadata?: { ownerReferences?: unknown } } | null | undefined)?.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  const owner =
    (refs as OwnerReference[]).find((r) => r?.controller === true) ?? (refs[0] as OwnerReference | undefined);
  if (typeof owner?.kind !== 'string' || typeof owner.name !== 'string') return undefined;
  return { kind: owner.kind, name: owner.name, namespace, apiVersion: owner.apiVersion, uid: owner.uid };
}
