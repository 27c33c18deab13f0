import { parseAttributeList } from './attribute-list.js';
import { fail, type Parsed } from './result.js';
import {
  parseBoolean,
  parseConfigMapKey,
  parseEndpoint,
  parseMilliseconds,
  parseMountPath,
  parseNameList,
  parseObjectName,
  parseOneOf,
  parseRatio,
} from './values.js';

/** Every annotation and label this injector reads or writes lives under this prefix. */
export const PREFIX = 'aigw-otel.io/';

/** Pod label that names the role explicitly: `core` or `processor`. */
export const ROLE_LABEL = `${PREFIX}role`;

export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type Sampler = (typeof SAMPLERS)[number];
export const RATIO_SAMPLERS: readonly Sampler[] = ['traceidratio', 'parentbased_traceidratio'];

// No http/json: neither the core's Go exporters nor the processors' Python ones send OTLP/JSON.
export const PROTOCOLS = ['grpc', 'http/protobuf'] as const;
export const COMPRESSIONS = ['gzip', 'none'] as const;
/** `endpoint-host`: `node` sends to the node the pod runs on (agent mode); `endpoint` to the host the URL names. */
export const ENDPOINT_HOSTS = ['endpoint', 'node'] as const;

/**
 * Where a key may be set:
 * - `config`: on a namespace, and on a pod to override the namespace's value;
 * - `namespace`: only on a namespace;
 * - `pod`: only on a pod;
 * - `output`: written by the injector on the pods it mutates; never an input.
 */
export type KeyScope = 'config' | 'namespace' | 'pod' | 'output';

interface KeySpec {
  readonly scope: KeyScope;
  readonly parse: (raw: string) => Parsed<unknown>;
}

const written = (): Parsed<never> => fail('written by the injector, not an input');

const oneOfProtocols = parseOneOf(PROTOCOLS);
function parseProtocol(raw: string): Parsed<(typeof PROTOCOLS)[number]> {
  if (raw === 'http/json') return fail('http/json: no AI Gateway SDK exports OTLP/JSON; use grpc or http/protobuf');
  return oneOfProtocols(raw);
}

/** The one table of keys: the mutator, the namespace validator and the README all follow it. */
export const KEYS = {
  'tracing-endpoint': { scope: 'config', parse: parseEndpoint },
  'metrics-endpoint': { scope: 'config', parse: parseEndpoint },
  endpoint: { scope: 'config', parse: parseEndpoint },
  'endpoint-host': { scope: 'config', parse: parseOneOf(ENDPOINT_HOSTS) },
  'ca-configmap': { scope: 'config', parse: parseObjectName },
  'ca-key': { scope: 'config', parse: parseConfigMapKey },
  'ca-mount-path': { scope: 'config', parse: parseMountPath },
  'metric-export-interval': { scope: 'config', parse: parseMilliseconds },
  'traces-sampler': { scope: 'config', parse: parseOneOf(SAMPLERS) },
  'traces-sampler-arg': { scope: 'config', parse: parseRatio },
  'client-cert-secret': { scope: 'config', parse: parseObjectName },
  'client-cert-mount-path': { scope: 'config', parse: parseMountPath },
  'headers-secret': { scope: 'config', parse: parseObjectName },
  'headers-secret-key': { scope: 'config', parse: parseConfigMapKey },
  protocol: { scope: 'config', parse: parseProtocol },
  compression: { scope: 'config', parse: parseOneOf(COMPRESSIONS) },
  'export-timeout': { scope: 'config', parse: parseMilliseconds },
  'resource-attributes': { scope: 'config', parse: parseAttributeList },
  'k8s-attributes': { scope: 'config', parse: parseBoolean },
  inject: { scope: 'config', parse: parseBoolean },
  override: { scope: 'config', parse: parseBoolean },
  'auto-rollout': { scope: 'namespace', parse: parseBoolean },
  'container-names': { scope: 'pod', parse: parseNameList },
  injected: { scope: 'output', parse: written },
  'kept-env': { scope: 'output', parse: written },
  'config-hash': { scope: 'output', parse: written },
  'injected-hash': { scope: 'output', parse: written },
  healed: { scope: 'output', parse: written },
} as const satisfies Record<string, KeySpec>;

export type Key = keyof typeof KEYS;
export type KeyValue<K extends Key> = Extract<ReturnType<(typeof KEYS)[K]['parse']>, { ok: true }>['value'];

export const annotation = (key: Key): string => `${PREFIX}${key}`;

export function isKnownKey(key: string): key is Key {
  return Object.hasOwn(KEYS, key);
}

// About twice the longest key (22): anything longer is no typo of ours, and the edit distance costs length × key length.
const MAX_SUGGESTIBLE_LENGTH = 48;

/** The known key nearest to a misspelt one, if it is close enough to be a likely typo. */
export function suggestKey(unknown: string): Key | undefined {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: no key is within reach of 48 letters; a cost guard.
  if (unknown.length > MAX_SUGGESTIBLE_LENGTH) return undefined;
  let best: Key | undefined;
  let bestDistance = Infinity;
  for (const key of Object.keys(KEYS) as Key[]) {
    if (KEYS[key].scope === 'output') continue;
    const d = editDistance(unknown, key);
    if (d < bestDistance) [best, bestDistance] = [key, d];
  }
  // More than a third of the letters changed is a different word, not a typo.
  return bestDistance <= Math.max(2, Math.floor(unknown.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
