/**
 * A stand-in for the kubelet's environment resolution (not a kubelet), kept to what the kubelet documents
 * (../shared/reference/real-cluster-facts.md; kubernetes pkg/kubelet/kubelet_pods.go and the forked expansion
 * package): `envFrom` first, then `env` in order, each `value` expanded against what is defined so far
 * (`$(NAME)` of an unknown name stays as written, `$$` is a literal `$`), `valueFrom` from the pod's own fields or
 * from ConfigMaps and Secrets; a missing object or key fails the container unless the reference is `optional`.
 */

/** What the API server and scheduler fill in after admission, plus the objects in the pod's namespace. */
export interface PlacedPod {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly nodeName: string;
  /** `status.hostIP`: the node's address, as the kubelet reports it; a fieldRef to it fails when not given. */
  readonly hostIP?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly configMaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The kubelet's reason when a container cannot be given its environment. */
export class CreateContainerConfigError extends Error {}

type KeyRef = { name?: string; key: string; optional?: boolean };
type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef };
};
type EnvFrom = {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
};
export interface ContainerEnv {
  readonly env?: readonly EnvVar[];
  readonly envFrom?: readonly EnvFrom[];
}

/** `$(NAME)` expansion as the kubelet does it: one pass, left to right, against `defined` only. */
export function expand(value: string, defined: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== '$' || i + 1 >= value.length) {
      out += c;
      continue;
    }
    const next = value[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = value.indexOf(')', i + 2);
      if (close === -1) {
        out += value.slice(i);
        break;
      }
      const name = value.slice(i + 2, close);
      out += defined.get(name) ?? `$(${name})`;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

function field(pod: PlacedPod, path: string): string {
  const map = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (map !== null) return (map[1] === 'labels' ? pod.labels : pod.annotations)?.[map[2] ?? ''] ?? '';
  const fields: Record<string, string> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'metadata.uid': pod.uid,
    'spec.nodeName': pod.nodeName,
    ...(pod.hostIP === undefined ? {} : { 'status.hostIP': pod.hostIP }),
  };
  const found = fields[path];
  if (found === undefined) throw new Error(`fieldRef ${path} not emulated`);
  return found;
}

function keyRef(ref: KeyRef, store: PlacedPod['secrets'], kind: string): string | undefined {
  const object = store[ref.name ?? ''];
  const value = object?.[ref.key];
  if (value !== undefined) return value;
  if (ref.optional === true) return undefined;
  const what =
    object === undefined ? `${kind} "${ref.name}" not found` : `couldn't find key ${ref.key} in ${kind} ${ref.name}`;
  throw new CreateContainerConfigError(what);
}

/** The environment the container's process starts with. */
export function resolveEnv(container: ContainerEnv, pod: PlacedPod): Record<string, string> {
  const defined = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'configmap' : 'secret';
    const object = ref && (source.configMapRef ? pod.configMaps : pod.secrets)[ref.name];
    if (ref === undefined) continue;
    if (object === undefined) {
      if (ref.optional === true) continue;
      throw new CreateContainerConfigError(`${kind} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(object)) defined.set(`${source.prefix ?? ''}${k}`, v);
  }
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    let value: string | undefined;
    if (from?.fieldRef) value = field(pod, from.fieldRef.fieldPath);
    else if (from?.secretKeyRef) value = keyRef(from.secretKeyRef, pod.secrets, 'secret');
    else if (from?.configMapKeyRef) value = keyRef(from.configMapKeyRef, pod.configMaps, 'configmap');
    else value = expand(e.value ?? '', defined);
    if (value !== undefined) defined.set(e.name, value);
  }
  return Object.fromEntries(defined);
}
