import { isExactly, isUnset, type EnvResult } from './container-env.js';
import type { Container, EnvVar } from './pod.js';

/**
 * `endpoint-host: node` (agent mode): each pod exports to the Collector on its own node. The node's IP is known only
 * once the pod is scheduled, so it comes from the downward API, under the name the OpenTelemetry operator gives it,
 * so the two injectors agree on a pod both touch.
 */
export const NODE_IP = 'OTEL_NODE_IP';
const REFERENCE = `$(${NODE_IP})`;

// apiVersion written out: the API server defaults it on the stored pod, and a reinvoked webhook must see its own entry.
const NODE_IP_VAR: EnvVar = {
  name: NODE_IP,
  valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.hostIP' } },
};

/**
 * The endpoint with its host replaced by a reference to the node's IP: `https://collector:4317` becomes
 * `https://$(OTEL_NODE_IP):4317`; scheme, port and path stay. The URL was checked: it starts `scheme://`, and an IPv6
 * host is in brackets.
 */
export function onNode(url: string): string {
  const start = url.indexOf('//') + 2;
  const rest = url.slice(start);
  const end = rest.startsWith('[') ? rest.indexOf(']') + 1 : rest.search(/[:/]|$/);
  return `${url.slice(0, start)}${REFERENCE}${rest.slice(end)}`;
}

// Its own entry does not count: `OTEL_NODE_IP=$(OTEL_NODE_IP)` references nothing defined before it.
const references = (e: EnvVar) => e.name !== NODE_IP && e.value?.includes(REFERENCE) === true;

/**
 * The container with OTEL_NODE_IP defined before the first entry that references it: the kubelet expands `$(NAME)`
 * only to a variable defined earlier in the same container's env. Nothing references it: nothing to do. The pod's
 * own definition, if different, is kept unless `override` (or it is unset); ours replaces it, in that place or later.
 */
export function withNodeIp(container: Container, override: boolean): EnvResult {
  // Stryker disable next-line ArrayDeclaration: an entry with no name and no value references nothing; equivalent.
  const env = container.env ?? [];
  const use = env.findIndex(references);
  if (use === -1) return { container, kept: [] };
  const at = env.findIndex((e) => e.name === NODE_IP);
  const current = env[at];
  if (current !== undefined && !override && !isUnset(current) && !isExactly(current, NODE_IP_VAR)) {
    return { container, kept: [NODE_IP] };
  }
  if (env.slice(0, use).some((e) => isExactly(e, NODE_IP_VAR))) return { container, kept: [] };
  const rest = env.filter((e) => e.name !== NODE_IP);
  const first = rest.findIndex(references);
  return {
    container: { ...container, env: [...rest.slice(0, first), { ...NODE_IP_VAR }, ...rest.slice(first)] },
    kept: [],
  };
}
