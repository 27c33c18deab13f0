import { formatProblem, type Problem } from '../core/problems.js';
import { annotation } from '../core/annotations.js';
import { ownAnnotations, readAnnotations, type Annotations, type Values } from '../core/read-annotations.js';
import { settingsFrom } from '../core/settings.js';
import { allowed, denied, type AdmissionResponse } from './responses.js';
import type { AdmissionRequest } from './review.js';

export type ValidateReason = 'not-a-namespace-change' | 'no-telemetry-annotations' | 'valid' | 'invalid';

export interface ValidateOutcome {
  readonly response: AdmissionResponse;
  readonly reason: ValidateReason;
  readonly problems: readonly Problem[];
  /** Valid settings worth a warning, never a refusal (a protocol the core cannot use, https to each node's IP). */
  readonly advice: readonly Problem[];
}

/** What a valid configuration will do that its author may not expect. */
function adviceOn(values: Values): Problem[] {
  const { coreProtocolProblem, nodeTlsProblem } = settingsFrom(values);
  return [
    ...(coreProtocolProblem === undefined
      ? []
      : [{ key: annotation('protocol'), value: values.protocol, message: coreProtocolProblem }]),
    ...(nodeTlsProblem === undefined
      ? []
      : [{ key: annotation('endpoint-host'), value: values['endpoint-host'], message: nodeTlsProblem }]),
  ];
}

const annotationsOf = (object: unknown): Annotations | undefined => {
  const metadata = (object as { metadata?: { annotations?: unknown } } | null | undefined)?.metadata;
  const annotations = metadata?.annotations;
  return typeof annotations === 'object' && annotations !== null ? (annotations as Annotations) : undefined;
};

/**
 * Checks a Namespace's `aigw-otel.io/` annotations with the very rules the mutator applies.
 * On UPDATE, a problem with a value that was already there before is a warning, not a refusal, so a namespace
 * annotated before the webhook existed can still be relabelled; new or changed bad values are refused.
 */
export function validateNamespace(request: AdmissionRequest): ValidateOutcome {
  const isNamespace = request.kind?.kind === 'Namespace' && (request.kind.group ?? '') === '';
  const isChange = request.operation === 'CREATE' || request.operation === 'UPDATE';
  if (!isNamespace || !isChange || request.subResource) {
    return { response: allowed(request.uid), reason: 'not-a-namespace-change', problems: [], advice: [] };
  }
  const annotations = annotationsOf(request.object);
  if (ownAnnotations(annotations).size === 0) {
    return { response: allowed(request.uid), reason: 'no-telemetry-annotations', problems: [], advice: [] };
  }
  const { problems, values } = readAnnotations(annotations, 'namespace');
  const advice = adviceOn(values);
  const adviceLines = advice.map(formatProblem);
  if (problems.length === 0) return { response: allowed(request.uid, adviceLines), reason: 'valid', problems, advice };

  const before = request.operation === 'UPDATE' ? ownAnnotations(annotationsOf(request.oldObject)) : new Map();
  const now = ownAnnotations(annotations);
  const isOld = (p: Problem) => {
    const key = p.key.replace(/^aigw-otel\.io\//, '');
    return before.has(key) && before.get(key) === now.get(key);
  };
  const fresh = problems.filter((p) => !isOld(p));
  const inherited = [...problems.filter(isOld).map(formatProblem), ...adviceLines];
  if (fresh.length === 0) return { response: allowed(request.uid, inherited), reason: 'valid', problems, advice };
  const message = `invalid telemetry annotations: ${fresh.map(formatProblem).join('; ')}`;
  return { response: denied(request.uid, message, inherited), reason: 'invalid', problems: fresh, advice };
}
