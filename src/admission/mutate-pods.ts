import type { CaStatus } from '../core/mounts.js';
import { prepare } from '../core/inject.js';
import { diff } from '../core/patch.js';
import { formatWarnings, type Problem } from '../core/problems.js';
import type { Annotations } from '../core/read-annotations.js';
import type { Role } from '../core/targets.js';
import type { SkipReason } from '../core/decision.js';
import { allowed, failedOpen, patched, type AdmissionResponse } from './responses.js';
import type { AdmissionRequest } from './review.js';

/** A namespace's annotations, or `undefined` when the namespace cannot be known right now. */
export type NamespaceLookup = (name: string) => Annotations | undefined | Promise<Annotations | undefined>;

/** Asks the cluster whether a CA ConfigMap exists and holds the key; absent in standalone mode. */
export type CaCheck = (namespace: string, configMap: string, key: string) => Promise<CaStatus>;

export interface MutateDeps {
  readonly lookup: NamespaceLookup;
  readonly checkCa?: CaCheck;
}

export type MutateReason = SkipReason | 'injected' | 'not-a-pod-create' | 'namespace-unknown' | 'internal-error';

export interface MutateOutcome {
  readonly response: AdmissionResponse;
  readonly reason: MutateReason;
  readonly roles: readonly Role[];
  readonly problems: readonly Problem[];
  /** `container/VAR` for each env var the pod already set and was left alone. */
  readonly kept: readonly string[];
  readonly error?: unknown;
}

export function isPodCreate(request: AdmissionRequest): boolean {
  return (
    request.operation === 'CREATE' &&
    request.kind?.kind === 'Pod' &&
    (request.kind.group ?? '') === '' &&
    request.resource?.resource === 'pods' &&
    !request.subResource
  );
}

/** The answer to a pod review: only a pod CREATE is ever mutated, and our own errors fail open. */
export async function mutatePod(request: AdmissionRequest, { lookup, checkCa }: MutateDeps): Promise<MutateOutcome> {
  const none = { roles: [], problems: [], kept: [] } as const;
  if (!isPodCreate(request)) return { ...none, response: allowed(request.uid), reason: 'not-a-pod-create' };
  try {
    const namespace = namespaceOf(request);
    const annotations = namespace === undefined ? undefined : await lookup(namespace);
    if (namespace === undefined || annotations === undefined) {
      return { ...none, response: allowed(request.uid), reason: 'namespace-unknown' };
    }
    const prepared = prepare(annotations, request.object);
    const { ca } = prepared;
    const caStatus =
      ca === undefined || checkCa === undefined ? 'unchecked' : await checkCa(namespace, ca.configMap, ca.key);
    const decision = prepared.decide({ caStatus, namespace });
    const warnings = formatWarnings(decision.problems);
    const base = { reason: decision.reason, roles: decision.roles, problems: decision.problems };
    if (!decision.inject) return { ...base, kept: [], response: allowed(request.uid, warnings) };
    const ops = diff(request.object as object, decision.pod);
    return { ...base, kept: decision.kept, response: patched(request.uid, ops, warnings) };
  } catch (error) {
    return { ...none, response: failedOpen(request.uid), reason: 'internal-error', error };
  }
}

/** `request.namespace` is authoritative; the object's own namespace may be empty. */
function namespaceOf(request: AdmissionRequest): string | undefined {
  if (request.namespace) return request.namespace;
  const meta = (request.object as { metadata?: { namespace?: unknown } } | undefined)?.metadata;
  return typeof meta?.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined;
}
