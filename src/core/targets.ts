import { annotation, ROLE_LABEL } from './annotations.js';
import type { Pod } from './pod.js';
import type { Problem } from './problems.js';
import type { Values } from './read-annotations.js';

export const ROLES = ['core', 'processor'] as const;
export type Role = (typeof ROLES)[number];

export interface Target {
  /** Index in spec.containers. */
  readonly index: number;
  readonly name: string;
  readonly role: Role;
}

export interface Targeting {
  readonly targets: readonly Target[];
  readonly problems: readonly Problem[];
}

/**
 * The last path segment of an image reference's repository, without registry, port, tag or digest:
 * `reg.internal:5000/mirror/aigw@sha256:…` → `aigw`.
 */
export function imageName(image: string): string {
  // Stryker disable next-line StringLiteral: split always gives at least one segment.
  return repositorySegments(image).at(-1) ?? '';
}

/** The path segments of an image reference's repository, registry included, without tag or digest, lowercased. */
function repositorySegments(image: string): string[] {
  // Stryker disable next-line StringLiteral: split always gives at least one part.
  const withoutDigest = image.split('@', 1)[0] ?? '';
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', slash + 1);
  return (colon === -1 ? withoutDigest : withoutDigest.slice(0, colon)).toLowerCase().split('/');
}

// F5's processor-labs images: `private-registry.f5.com/aigw/processor-labs/prompt-guard:v0.0.1`, `…/data-security…`.
const PROCESSOR_LABS = ['aigw', 'processor-labs'];

/** The role an image implies, if it is one of AI Gateway's. */
export function roleOfImage(image: string | undefined): Role | undefined {
  if (image === undefined) return undefined;
  const segments = repositorySegments(image);
  // Stryker disable next-line StringLiteral: split always gives at least one segment.
  const name = segments.at(-1) ?? '';
  if (name === 'aigw') return 'core';
  if (name.startsWith('aigw-processor')) return 'processor';
  const parents = segments.slice(-3, -1);
  if (parents.length === 2 && parents.every((s, i) => s === PROCESSOR_LABS[i])) return 'processor';
  return undefined;
}

/**
 * Which regular containers to configure, and as what. The role label decides for the whole pod
 * (narrowed by `container-names`); without it each container's image decides. Init containers never count.
 */
export function findTargets(pod: Pod, values: Values): Targeting {
  const label = pod.metadata?.labels?.[ROLE_LABEL];
  const names = values['container-names'];
  const problems: Problem[] = [];
  if (label !== undefined) {
    if ((ROLES as readonly string[]).includes(label)) return byLabel(pod, label as Role, names);
    problems.push({ key: ROLE_LABEL, value: label, message: 'label must be core or processor; using images' });
  }
  if (names !== undefined) {
    problems.push({ key: annotation('container-names'), message: `ignored without the ${ROLE_LABEL} label` });
  }
  const targets = pod.spec.containers.flatMap((c, index) => {
    const role = roleOfImage(c.image);
    return role === undefined ? [] : [{ index, name: c.name, role }];
  });
  return { targets, problems };
}

function byLabel(pod: Pod, role: Role, names: readonly string[] | undefined): Targeting {
  const all = pod.spec.containers.map((c, index) => ({ index, name: c.name, role }));
  if (names === undefined) return { targets: all, problems: [] };
  const present = new Set(all.map((t) => t.name));
  const missing = names.filter((n) => !present.has(n));
  const problems: Problem[] = missing.map((n) => ({
    key: annotation('container-names'),
    value: n,
    message: 'no regular container has this name',
  }));
  const wanted = new Set(names);
  return { targets: all.filter((t) => wanted.has(t.name)), problems };
}
