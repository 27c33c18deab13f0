import {
  annotation,
  isKnownKey,
  KEYS,
  PREFIX,
  RATIO_SAMPLERS,
  suggestKey,
  type Key,
  type KeyValue,
} from './annotations.js';
import type { Problem } from './problems.js';
import { DEFAULT_CA_MOUNT_PATH, DEFAULT_CLIENT_CERT_MOUNT_PATH } from './settings.js';

export type Annotations = Readonly<Record<string, string>>;
export type Values = { readonly [K in Key]?: KeyValue<K> };
export type Origin = 'namespace' | 'pod';

export interface Reading {
  readonly values: Values;
  readonly problems: readonly Problem[];
}

/** The `aigw-otel.io/` annotations of a map, without the prefix, values trimmed. */
export function ownAnnotations(all: Annotations | undefined): Map<string, string> {
  const own = new Map<string, string>();
  for (const [k, v] of Object.entries(all ?? {})) {
    if (k.startsWith(PREFIX) && typeof v === 'string') own.set(k.slice(PREFIX.length), v.trim());
  }
  return own;
}

/**
 * Parses the injector's annotations as they stand on a namespace or a pod.
 * Unknown keys, keys in the wrong place and bad values become problems; good values are kept.
 */
export function readAnnotations(all: Annotations | undefined, origin: Origin): Reading {
  return withCrossKeyRules(parseRaw(ownAnnotations(all), origin));
}

/**
 * The namespace's values overridden key by key by the pod's. A bad value is skipped as if it were absent,
 * so a pod's bad value leaves the namespace's value in force (and a bad `tracing-endpoint` lets `endpoint` apply).
 */
export function readEffective(namespace: Annotations | undefined, pod: Annotations | undefined): Reading {
  const fromNamespace = readNamespace(namespace);
  const fromPod = parseRaw(ownAnnotations(pod), 'pod');
  const overridden = (p: Problem) => Object.hasOwn(fromPod.values, p.key.slice(PREFIX.length));
  return withCrossKeyRules({
    values: { ...fromNamespace.values, ...fromPod.values },
    problems: [...fromNamespace.problems.filter((p) => !overridden(p)), ...fromPod.problems],
  });
}

// Every pod of a namespace shares its annotations object, so each is parsed once, not once per review.
const namespaceReadings = new WeakMap<Annotations, Reading>();

/** A namespace's own reading; memoised for the frozen maps the namespace sources hand out (a pure function's cache). */
// Stryker disable ConditionalExpression,EqualityOperator: the cache changes how often, never what, is read.
function readNamespace(namespace: Annotations | undefined): Reading {
  const cached = namespace === undefined ? undefined : namespaceReadings.get(namespace);
  if (cached !== undefined) return cached;
  const reading = parseRaw(ownAnnotations(namespace), 'namespace');
  if (namespace !== undefined && Object.isFrozen(namespace)) namespaceReadings.set(namespace, reading);
  return reading;
}
// Stryker restore ConditionalExpression,EqualityOperator

// No value of ours is anywhere near this long (the longest, resource-attributes, is capped here too); a longer one
// is refused before any parsing, so a tenant's megabyte of text costs one length check.
export const MAX_VALUE_LENGTH = 4096;
// The API server shows at most 20 warnings; suggesting a key for more unknown keys than that is work nobody sees.
const MAX_SUGGESTIONS = 20;
// Problems kept per reading; past this a tenant's thousands of bad keys would become thousands of log fields,
// warnings and Events. The rest are counted in one closing problem.
export const MAX_PROBLEMS = 25;

function parseRaw(own: Map<string, string>, origin: Origin): Reading {
  const values: Record<string, unknown> = {};
  const problems: Problem[] = [];
  let unlisted = 0;
  const report = (p: Problem) => (problems.length < MAX_PROBLEMS - 1 ? problems.push(p) : unlisted++);
  let suggestions = MAX_SUGGESTIONS;
  for (const [key, raw] of own) {
    const problem = placementProblem(key, origin, suggestions > 0);
    if (problem === null) continue;
    if (problem !== undefined) {
      if (!isKnownKey(key)) suggestions--;
      report({ key: PREFIX + key, message: problem });
      continue;
    }
    if (raw.length > MAX_VALUE_LENGTH) {
      report({ key: PREFIX + key, value: raw, message: `longer than ${MAX_VALUE_LENGTH} characters` });
      continue;
    }
    const parsed = KEYS[key as Key].parse(raw);
    if (parsed.ok) values[key] = parsed.value;
    else report({ key: PREFIX + key, value: raw, message: parsed.reason });
  }
  if (unlisted > 0) problems.push({ key: `${PREFIX}*`, message: `${unlisted} more problems not listed` });
  return { values, problems };
}

/** Why a key may not stand here; `null` for our own output keys on a pod, which are simply passed over. */
function placementProblem(key: string, origin: Origin, suggest: boolean): string | null | undefined {
  if (!isKnownKey(key)) {
    const suggestion = suggest ? suggestKey(key) : undefined;
    return suggestion === undefined
      ? 'unknown annotation'
      : `unknown annotation, did you mean ${annotation(suggestion)}?`;
  }
  const scope = KEYS[key].scope;
  if (scope === 'output') return origin === 'pod' ? null : 'set by the injector on pods, not on namespaces';
  if (scope === 'pod' && origin === 'namespace') return 'only valid as a pod annotation';
  if (scope === 'namespace' && origin === 'pod') return 'only valid as a namespace annotation';
  return undefined;
}

/** Rules that involve two keys: each drops the key it faults, with a problem that says why. */
function withCrossKeyRules(reading: Reading): Reading {
  return [samplerArgRule, nestedMountRule].reduce((r, rule) => rule(r), reading);
}

/** A sampler argument only means something to the ratio samplers. */
function samplerArgRule(reading: Reading): Reading {
  const { values } = reading;
  const sampler = values['traces-sampler'];
  if (values['traces-sampler-arg'] === undefined || sampler === undefined || RATIO_SAMPLERS.includes(sampler)) {
    return reading;
  }
  return drop(reading, 'traces-sampler-arg', `sampler ${sampler} takes no argument`);
}

/** The client certificate is never mounted inside the CA's mount, nor the CA inside it. */
function nestedMountRule(reading: Reading): Reading {
  const { values } = reading;
  if (values['client-cert-secret'] === undefined || values['ca-configmap'] === undefined) return reading;
  const client = values['client-cert-mount-path'] ?? DEFAULT_CLIENT_CERT_MOUNT_PATH;
  const ca = values['ca-mount-path'] ?? DEFAULT_CA_MOUNT_PATH;
  const within = (a: string, b: string) => a === b || a.startsWith(`${b}/`);
  if (!within(client, ca) && !within(ca, client)) return reading;
  return drop(reading, 'client-cert-secret', "client certificate skipped: its mount path overlaps the CA's");
}

function drop(reading: Reading, key: Key, message: string): Reading {
  const { [key]: value, ...rest } = reading.values;
  // Stryker disable next-line ConditionalExpression: the keys dropped so far hold strings; the check guards later rules.
  const problem: Problem = { key: annotation(key), value: typeof value === 'string' ? value : undefined, message };
  return { values: rest, problems: [...reading.problems, problem] };
}
