import { annotation } from './annotations.js';
import { caConflict, caMissing, type CaStatus } from './ca-conflicts.js';
import { withEnv, withMount } from './container-env.js';
import { skip, type Decision } from './decision.js';
import { podShapeProblem, type Container, type Pod } from './pod.js';
import type { Problem } from './problems.js';
import { ownAnnotations, readEffective, type Annotations } from './read-annotations.js';
import { CA_VOLUME, settingsFrom, type CaSource } from './settings.js';
import { findTargets, ROLES, type Role, type Target } from './targets.js';

/** Facts about the cluster that the shell looked up before deciding. */
export interface ClusterFacts {
  readonly caStatus: CaStatus;
}

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
  if (!settings.inject) return skip('injection-disabled', roles);
  return { pod, podAnnotations, reading, targeting, roles, settings };
}

const isDecision = (x: Considered | Decision): x is Decision => 'reason' in x;

/** The CA ConfigMap the shell should check before deciding, if this pod would get one. */
export function caToCheck(namespaceAnnotations: Annotations | undefined, object: unknown): CaSource | undefined {
  const considered = consider(namespaceAnnotations, object);
  return isDecision(considered) ? undefined : considered.settings.ca;
}

/**
 * Decides what to inject into a pod created in a namespace with these annotations, and builds the
 * injected pod. Pure: the same inputs always give the same decision, and the input pod is not modified.
 */
export function decide(namespaceAnnotations: Annotations | undefined, object: unknown, facts = UNCHECKED): Decision {
  const considered = consider(namespaceAnnotations, object);
  if (isDecision(considered)) return considered;
  const { pod, podAnnotations, reading, targeting, roles, settings } = considered;
  const problems: Problem[] = [...targeting.problems, ...reading.problems];

  let ca = settings.ca;
  const conflict =
    ca === undefined ? undefined : (caMissing(ca, facts.caStatus) ?? caConflict(pod, targeting.targets, ca));
  if (conflict !== undefined) {
    problems.push(conflict);
    ca = undefined;
  }

  const nothingWanted = ca === undefined && roles.every((r) => settings.env(r, false).length === 0);
  if (nothingWanted) {
    const annotated = ownAnnotations(namespaceAnnotations).size + ownAnnotations(podAnnotations).size > 0;
    return skip(annotated ? 'nothing-configured' : 'namespace-not-annotated', roles, problems);
  }

  const { containers, kept } = injectContainers(pod.spec.containers, targeting.targets, settings, ca);
  const volumes = ca === undefined ? pod.spec.volumes : withVolume(pod, ca);
  if (containers === pod.spec.containers && volumes === pod.spec.volumes) {
    return skip('already-configured', roles, problems);
  }
  const marked = markAnnotations(podAnnotations, roles, kept);
  return {
    inject: true,
    reason: 'injected',
    roles,
    problems,
    kept,
    pod: {
      ...pod,
      metadata: { ...pod.metadata, annotations: marked },
      spec: { ...pod.spec, containers, ...(volumes === undefined ? {} : { volumes }) },
    },
  };
}

function injectContainers(
  containers: Container[],
  targets: readonly Target[],
  settings: ReturnType<typeof settingsFrom>,
  ca: CaSource | undefined,
): { containers: Container[]; kept: string[] } {
  const roleAt = new Map<number, Role>(targets.map((t) => [t.index, t.role]));
  const kept: string[] = [];
  let changed = false;
  const next = containers.map((container, index) => {
    const role = roleAt.get(index);
    if (role === undefined) return container;
    const result = withEnv(container, settings.env(role, ca !== undefined), settings.override);
    kept.push(...result.kept.map((name) => `${container.name}/${name}`));
    const mounted = ca === undefined ? result.container : withMount(result.container, CA_VOLUME, ca.mountPath);
    changed ||= mounted !== container;
    return mounted;
  });
  return { containers: changed ? next : containers, kept };
}

function withVolume(pod: Pod, ca: CaSource): Pod['spec']['volumes'] {
  const volumes = pod.spec.volumes ?? [];
  if (volumes.some((v) => v.name === CA_VOLUME)) return pod.spec.volumes;
  return [...volumes, { name: CA_VOLUME, configMap: { name: ca.configMap } }];
}

function markAnnotations(current: Annotations | undefined, roles: readonly Role[], kept: readonly string[]) {
  const marked: Record<string, string> = { ...current, [annotation('injected')]: roles.join(',') };
  if (kept.length > 0) marked[annotation('kept-env')] = [...kept].sort().join(',');
  return marked;
}
