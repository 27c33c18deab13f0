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

/** Only the OTEL_* entries of envOf. */
export function otelEnv(pod: Pod, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(envOf(pod, name)).filter(([k]) => k.startsWith('OTEL_')));
}
