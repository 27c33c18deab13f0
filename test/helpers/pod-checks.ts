import jsonpatch, { type Operation } from 'fast-json-patch';
import { expect } from 'vitest';
import type { Container, Pod } from '../../src/core/pod.js';

/**
 * Applies a patch as the API server does: strictly (an `add` needs an existing parent, indexes in range),
 * to a copy of the input. Throws where the API server would reject the pod.
 */
export function applyStrict<T>(input: T, ops: readonly Operation[]): T {
  return jsonpatch.applyPatch(structuredClone(input), structuredClone(ops as Operation[]), true, false).newDocument;
}

export function decodePatch(patch: string | undefined): Operation[] {
  if (patch === undefined) return [];
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as Operation[];
}

/** The pod rules an injector can break, as the API server validates them after the patch. */
export function expectValidPod(pod: Pod): void {
  const volumes = (pod.spec.volumes ?? []).map((v) => v.name);
  expect(new Set(volumes).size, 'volume names are unique').toBe(volumes.length);
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    const env = (c.env ?? []).map((e) => e.name);
    expect(new Set(env).size, `env names unique in ${c.name}`).toBe(env.length);
    const paths = (c.volumeMounts ?? []).map((m) => m.mountPath);
    expect(new Set(paths).size, `mount paths unique in ${c.name}`).toBe(paths.length);
    for (const m of c.volumeMounts ?? []) expect(volumes, `${c.name} mounts an existing volume`).toContain(m.name);
  }
}

export function containerNamed(pod: Pod, name: string): Container {
  const c = pod.spec.containers.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no container ${name}`);
  return c;
}

/** The container's env as a name → value map; valueFrom entries show as `valueFrom`. */
export function envOf(pod: Pod, name: string): Record<string, string> {
  return Object.fromEntries(
    (containerNamed(pod, name).env ?? []).map((e) => [e.name, e.value ?? (e.valueFrom ? 'valueFrom' : '')]),
  );
}

const RESOURCE = 'OTEL_RESOURCE_ATTRIBUTES';
/** A `$(VAR)` reference as the kubelet expands it in env values. */
const REFERENCE = /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g;

/** The OTEL_* entries of envOf but the resource attributes and their downward-API variables (see resourceOf). */
export function otelEnv(pod: Pod, name: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(envOf(pod, name)).filter(([k]) => k.startsWith('OTEL_') && !k.startsWith(RESOURCE)),
  );
}

/**
 * OTEL_RESOURCE_ATTRIBUTES of a container as key → value, each `$(VAR)` resolved the way the kubelet would
 * (to `<fieldPath>` for a downward-API variable defined earlier, left as written otherwise); null when absent.
 */
export function resourceOf(pod: Pod, name: string): Record<string, string> | null {
  const env = containerNamed(pod, name).env ?? [];
  const at = env.findIndex((e) => e.name === RESOURCE);
  const entry = env[at];
  if (entry === undefined) return null;
  const earlier = env.slice(0, at);
  const resolve = (v: string) =>
    v.replace(REFERENCE, (whole, ref: string) => {
      const def = earlier.find((e) => e.name === ref);
      const fieldPath = (def?.valueFrom as { fieldRef?: { fieldPath?: string } } | undefined)?.fieldRef?.fieldPath;
      return def?.value ?? (fieldPath === undefined ? whole : `<${fieldPath}>`);
    });
  const pairs = (entry.value ?? '').split(',').filter((p) => p.includes('='));
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), resolve(p.slice(p.indexOf('=') + 1))]));
}

/** Every `$(VAR)` in a container's env refers to a variable defined before it, as the kubelet needs to expand it. */
export function expectReferencesDefined(pod: Pod): void {
  for (const c of pod.spec.containers) {
    const env = c.env ?? [];
    env.forEach((e, i) => {
      for (const [, ref] of (e.value ?? '').matchAll(REFERENCE)) {
        const defined = env.slice(0, i).some((x) => x.name === ref);
        expect(defined, `${c.name}: ${e.name} uses $(${ref ?? ''}) defined before it`).toBe(true);
      }
    });
  }
}
