import { annotation } from './annotations.js';
import {
  caMissing,
  caMount,
  clientCertMount,
  mountConflict,
  withMount,
  withVolumes,
  type CaStatus,
  type Mount,
} from './mounts.js';
import { valuesHash } from './config-hash.js';
import { withEnv } from './container-env.js';
import { withNodeIp } from './node-ip.js';
import { skip, type Decision } from './decision.js';
import { podShapeProblem, type Container, type Pod } from './pod.js';
import type { Problem } from './problems.js';
import { ownAnnotations, readEffective, type Annotations } from './read-annotations.js';
import { attributePlan, withResourceAttributes } from './resource-attributes.js';
import { settingsFrom, type CaSource, type Mounted } from './settings.js';
import { findTargets, ROLES, type Role, type Target } from './targets.js';

/** Facts about the cluster that the shell looked up before deciding. */
export interface ClusterFacts {
  readonly caStatus: CaStatus;
  /** The namespace the pod is created in (`request.namespace`); the pod's own field may be empty. */
  readonly namespace?: string;
}

// Stryker disable next-line ObjectLiteral,StringLiteral: without facts, any status but the two missing ones reads alike.
const UNCHECKED: ClusterFacts = { caStatus: 'unchecked' };

interface Considered {
  readonly pod: Pod;
  readonly podAnnotations: Annotations | undefined;
  readonly reading: ReturnType<typeof readEffective>;
  readonly targeting: ReturnType<typeof findTargets>;
  readonly roles: readonly Role[];
  readonly settings: ReturnType<typeof settingsFrom>;
}

/** The first steps of every decision: shape, annotations, targets, settings; or why to stop there. */
function consider(namespaceAnnotations: Annotations | undefined, object: unknown): Considered | Decision {
  const shape = podShapeProblem(object);
  if (shape !== undefined) return skip('malformed-pod', [], [{ key: 'pod', message: shape }]);
  const pod = object as Pod;
  const podAnnotations = pod.metadata?.annotations;
  const reading = readEffective(namespaceAnnotations, podAnnotations);
  const targeting = findTargets(pod, reading.values);
  const roles = ROLES.filter((r) => targeting.targets.some((t) => t.role === r));
  if (targeting.targets.length === 0) return skip('not-an-ai-gateway-pod', [], targeting.problems);
  const settings = settingsFrom(reading.values);
  if (!settings.inject) return skip('injection-disabled', roles, []);
  return { pod, podAnnotations, reading, targeting, roles, settings };
}

const isDecision = (x: Considered | Decision): x is Decision => 'reason' in x;

/** A decision half made: what the shell should look up in the cluster first, and the rest of the decision. */
export interface Prepared {
  /** The CA ConfigMap the shell should check before deciding, if this pod would get one. */
  readonly ca: CaSource | undefined;
  readonly decide: (facts?: ClusterFacts) => Decision;
}

/** The first steps once: the shell looks up `ca` (asynchronously) and then finishes with `decide`. */
export function prepare(namespaceAnnotations: Annotations | undefined, object: unknown): Prepared {
  const considered = consider(namespaceAnnotations, object);
  if (isDecision(considered)) return { ca: undefined, decide: () => considered };
  return { ca: considered.settings.ca, decide: (facts = UNCHECKED) => finish(considered, namespaceAnnotations, facts) };
}

/**
 * Decides what to inject into a pod created in a namespace with these annotations, and builds the
 * injected pod. Pure: the same inputs always give the same decision, and the input pod is not modified.
 */
export function decide(namespaceAnnotations: Annotations | undefined, object: unknown, facts = UNCHECKED): Decision {
  return prepare(namespaceAnnotations, object).decide(facts);
}

function finish(considered: Considered, namespaceAnnotations: Annotations | undefined, facts: ClusterFacts): Decision {
  const { pod, podAnnotations, reading, targeting, roles, settings } = considered;
  const problems: Problem[] = [...targeting.problems, ...reading.problems];
  const usable = (m: Mount, missing?: Problem) => {
    const conflict = missing ?? mountConflict(pod, targeting.targets, m);
    if (conflict !== undefined) problems.push(conflict);
    return conflict === undefined ? m : undefined;
  };
  const ca = settings.ca && usable(caMount(settings.ca), caMissing(settings.ca, facts.caStatus));
  const clientCert = settings.clientCert && usable(clientCertMount(settings.clientCert));
  const mounts = [ca, clientCert].filter((m): m is Mount => m !== undefined);
  const mounted: Mounted = { ca: ca !== undefined, clientCert: clientCert !== undefined };

  // Before the check below: a core-only pod this leaves with nothing to inject still hears why.
  if (settings.coreProtocolProblem !== undefined && roles.includes('core')) {
    problems.push(protocolProblem(settings.coreProtocolProblem, reading.values.protocol));
  }
  // The Kubernetes attributes ride along with other settings; on their own they would patch every AI Gateway pod.
  // (A mounted CA or client certificate always brings its variables, so the env alone tells.)
  const configured = roles.some((r) => settings.env(r, mounted).length > 0);
  if (!configured && settings.resourceAttributes === undefined) {
    const annotated = ownAnnotations(namespaceAnnotations).size + ownAnnotations(podAnnotations).size > 0;
    return skip(annotated ? 'nothing-configured' : 'namespace-not-annotated', roles, problems);
  }
  const attributes = attributePlan(pod, facts.namespace, settings.k8sAttributes, settings.resourceAttributes ?? []);
  const { containers, kept } = injectContainers(pod.spec.containers, targeting.targets, (role, c) => {
    const env = withEnv(c, settings.env(role, mounted), settings.override);
    const nodeIp = withNodeIp(env.container, settings.override);
    const withAttributes = withResourceAttributes(nodeIp.container, attributes, settings.override);
    problems.push(...withAttributes.late.map((name) => lateProblem(c.name, name)));
    if (Array.isArray(c.envFrom) && withAttributes.container.env !== c.env) problems.push(envFromProblem(c.name));
    return {
      container: mounts.reduce(withMount, withAttributes.container),
      kept: [...env.kept, ...nodeIp.kept, ...withAttributes.kept],
    };
  });
  const volumes = withVolumes(pod, mounts);
  if (containers === pod.spec.containers && volumes === pod.spec.volumes) {
    return skip('already-configured', roles, problems);
  }
  return {
    inject: true,
    reason: 'injected',
    roles,
    problems,
    kept,
    pod: {
      ...pod,
      metadata: {
        ...pod.metadata,
        annotations: markAnnotations(podAnnotations, roles, kept, valuesHash(reading.values)),
      },
      spec: { ...pod.spec, containers, ...(volumes === undefined ? {} : { volumes }) },
    },
  };
}

/** Each target container through `inject`; the same array back when none changed. */
function injectContainers(
  containers: Container[],
  targets: readonly Target[],
  inject: (role: Role, c: Container) => { container: Container; kept: readonly string[] },
): { containers: Container[]; kept: string[] } {
  const roleAt = new Map<number, Role>(targets.map((t) => [t.index, t.role]));
  const kept: string[] = [];
  let changed = false;
  const next = containers.map((container, index) => {
    const role = roleAt.get(index);
    if (role === undefined) return container;
    const result = inject(role, container);
    kept.push(...result.kept.map((name) => `${container.name}/${name}`));
    changed ||= result.container !== container;
    return result.container;
  });
  return { containers: changed ? next : containers, kept };
}

const protocolProblem = (message: string, protocol: string | undefined): Problem => ({
  key: annotation('protocol'),
  value: protocol,
  kind: 'protocol-not-for-core',
  message,
});

const lateProblem = (container: string, variable: string): Problem => ({
  key: `container ${container}`,
  kind: 'attribute-left-out',
  message: `${variable} is defined after OTEL_RESOURCE_ATTRIBUTES, so its attribute is left out`,
});

const envFromProblem = (container: string): Problem => ({
  key: `container ${container}`,
  kind: 'env-from',
  message: 'injected env vars take precedence over the same names from its envFrom',
});

function markAnnotations(
  current: Annotations | undefined,
  roles: readonly Role[],
  kept: readonly string[],
  hash: string,
) {
  const marked: Record<string, string> = {
    ...current,
    [annotation('injected')]: roles.join(','),
    // What the pod was configured from: a later change of the namespace's configuration makes it stale.
    [annotation('injected-hash')]: hash,
  };
  if (kept.length > 0) marked[annotation('kept-env')] = [...kept].sort().join(',');
  return marked;
}
