import { encodeAttributeValue, formatAttributes, keysIn, withoutKeys, type Attribute } from './attribute-list.js';
import { isExactly, isUnset, type EnvResult } from './container-env.js';
import type { Container, EnvVar, Pod } from './pod.js';
import { isBlankOrComma, trimEndWhere } from './text.js';

export const RESOURCE_ATTRIBUTES = 'OTEL_RESOURCE_ATTRIBUTES';

interface FieldVar {
  readonly attribute: string;
  readonly env: EnvVar;
}

// apiVersion written out: the API server defaults it on the stored pod, and a reinvoked webhook must see its own entry.
const fieldVar = (attribute: string, name: string, fieldPath: string): FieldVar => ({
  attribute,
  env: { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } },
});

/**
 * Known only once the pod is named and scheduled, so read through the downward API. Named as the OpenTelemetry
 * operator names them, so the two injectors agree on a pod both touch.
 */
export const FIELD_VARS: readonly FieldVar[] = [
  fieldVar('k8s.pod.name', 'OTEL_RESOURCE_ATTRIBUTES_POD_NAME', 'metadata.name'),
  fieldVar('k8s.pod.uid', 'OTEL_RESOURCE_ATTRIBUTES_POD_UID', 'metadata.uid'),
  fieldVar('k8s.node.name', 'OTEL_RESOURCE_ATTRIBUTES_NODE_NAME', 'spec.nodeName'),
];

/** The pod-wide part of what each target container's OTEL_RESOURCE_ATTRIBUTES should hold. */
export interface AttributePlan {
  /** The Kubernetes attributes, unless `k8s-attributes: "false"`. */
  readonly k8s: { readonly namespace: string | undefined; readonly workload: Attribute | undefined } | undefined;
  /** From `resource-attributes`; these win over the Kubernetes ones of the same key. */
  readonly extra: readonly Attribute[];
}

export function attributePlan(
  pod: Pod,
  namespace: string | undefined,
  k8s: boolean,
  extra: readonly Attribute[],
): AttributePlan {
  const ns = namespace || pod.metadata?.namespace || undefined;
  return { k8s: k8s ? { namespace: ns, workload: workloadAttribute(pod) } : undefined, extra };
}

interface OwnerReference {
  readonly kind?: unknown;
  readonly name?: unknown;
  readonly controller?: unknown;
}

// The kinds whose name identifies the workload; a Deployment's pods are owned by its ReplicaSet.
const WORKLOAD_KEYS: Readonly<Record<string, string>> = {
  Deployment: 'k8s.deployment.name',
  StatefulSet: 'k8s.statefulset.name',
  DaemonSet: 'k8s.daemonset.name',
  ReplicaSet: 'k8s.replicaset.name',
  Job: 'k8s.job.name',
};

/**
 * The workload's name from the pod's controlling owner. A ReplicaSet named `<deployment>-<pod-template-hash>`
 * belongs to that Deployment; only the hash the pod carries as a label is stripped, never a guessed suffix.
 */
export function workloadAttribute(pod: Pod): Attribute | undefined {
  const owners = pod.metadata?.ownerReferences;
  if (!Array.isArray(owners)) return undefined;
  const owner = (owners as (OwnerReference | null)[]).find((o) => o?.controller === true);
  if (typeof owner?.kind !== 'string' || typeof owner.name !== 'string' || owner.name === '') return undefined;
  const key = Object.hasOwn(WORKLOAD_KEYS, owner.kind) ? WORKLOAD_KEYS[owner.kind] : undefined;
  if (key === undefined) return undefined;
  // Stryker disable next-line OptionalChaining: owners were found above, so metadata is there.
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return {
      key: WORKLOAD_KEYS.Deployment as string,
      value: encodeAttributeValue(owner.name.slice(0, -hash.length - 1)),
    };
  }
  return { key, value: encodeAttributeValue(owner.name) };
}

/** The attributes one container should carry, given which downward-API variables it can use. */
function attributesFor(plan: AttributePlan, container: string, fields: readonly FieldVar[]): Attribute[] {
  const { k8s } = plan;
  const ours: Attribute[] =
    k8s === undefined
      ? []
      : [
          ...(k8s.namespace === undefined
            ? []
            : [{ key: 'k8s.namespace.name', value: encodeAttributeValue(k8s.namespace) }]),
          ...fields.map((f) => ({ key: f.attribute, value: `$(${f.env.name})` })),
          { key: 'k8s.container.name', value: encodeAttributeValue(container) },
          ...(k8s.workload === undefined ? [] : [k8s.workload]),
        ];
  const explicit = new Set(plan.extra.map((a) => a.key));
  return [...ours.filter((a) => !explicit.has(a.key)), ...plan.extra];
}

/**
 * The container with OTEL_RESOURCE_ATTRIBUTES holding the plan's attributes. The downward-API variables go in
 * before the entry that references them. A value the container already has wins key by key (ours are appended
 * for the keys it lacks) unless `override`; a `valueFrom` entry is kept whole unless `override`.
 */
export function withResourceAttributes(
  container: Container,
  plan: AttributePlan,
  override: boolean,
): EnvResult & { readonly late: readonly string[] } {
  const env = container.env ?? [];
  const at = env.findIndex((e) => e.name === RESOURCE_ATTRIBUTES);
  const current = env[at];
  const fromReference = current?.valueFrom !== undefined;
  if (fromReference && !override) return { container, kept: [RESOURCE_ATTRIBUTES], late: [] };

  const currentText = fromReference ? '' : (current?.value ?? '');
  const needed = fieldVarsNeeded(plan, currentText, override);
  const { usable, insert, replaced, kept, late } = placeFieldVars(needed, env, at, override);
  const ours = attributesFor(plan, container.name, usable);
  const entry: EnvVar = { name: RESOURCE_ATTRIBUTES, value: merged(currentText, ours, override) };
  const same = isExactly(current, entry) && insert.length === 0 && replaced.size === 0;
  if (ours.length === 0 || same) return { container, kept, late };

  const next = env.map((e, i) => replaced.get(i) ?? e);
  if (at === -1) next.push(...insert, entry);
  else next.splice(at, 1, ...insert, entry);
  return { container: { ...container, env: next }, kept, late };
}

/** The downward-API variables whose attributes will be written: not set by the annotation, nor kept from the pod. */
function fieldVarsNeeded(plan: AttributePlan, currentText: string, override: boolean): readonly FieldVar[] {
  if (plan.k8s === undefined) return [];
  const explicit = new Set(plan.extra.map((a) => a.key));
  const have = override ? new Set<string>() : keysIn(currentText);
  return FIELD_VARS.filter((f) => !explicit.has(f.attribute) && !have.has(f.attribute));
}

/**
 * Where each downward-API variable comes from: added before the entry that references it, already there exactly,
 * defined differently by the pod (kept, and its attribute left out, unless `override` replaces it), or unset by
 * the pod (filled in place). `late`: the pod's own variables defined after the entry, whose attributes the kubelet
 * could not expand and are therefore left out.
 */
function placeFieldVars(fields: readonly FieldVar[], env: readonly EnvVar[], at: number, override: boolean) {
  const usable: FieldVar[] = [];
  const insert: EnvVar[] = [];
  const replaced = new Map<number, EnvVar>();
  const kept: string[] = [];
  const late: string[] = [];
  for (const f of fields) {
    const i = env.findIndex((e) => e.name === f.env.name);
    if (i === -1) {
      insert.push({ ...f.env });
      usable.push(f);
      continue;
    }
    if (!isExactly(env[i], f.env)) {
      if (!override && !isUnset(env[i])) {
        kept.push(f.env.name);
        continue;
      }
      replaced.set(i, { ...f.env });
    }
    // A variable defined after the entry that references it is not expanded by the kubelet.
    // Stryker disable next-line EqualityOperator: i is never at, which holds another name.
    if (at === -1 || i < at) usable.push(f);
    else late.push(f.env.name);
  }
  return { usable, insert, replaced, kept, late };
}

/** The container's list with ours added: appended for missing keys, or (override) replacing the keys we set. */
function merged(current: string, ours: readonly Attribute[], override: boolean): string {
  if (override) {
    const rest = withoutKeys(current, new Set(ours.map((a) => a.key)));
    return [rest, formatAttributes(ours)].filter((s) => s !== '').join(',');
  }
  const have = keysIn(current);
  const missing = ours.filter((a) => !have.has(a.key));
  if (missing.length === 0) return current;
  const base = trimEndWhere(current, isBlankOrComma);
  return [base, formatAttributes(missing)].filter((s) => s !== '').join(',');
}
