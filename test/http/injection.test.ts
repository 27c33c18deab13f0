import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src/core/pod.js';
import { a, CASES, type InjectionCase } from '../cases/injection-cases.js';
import { review } from '../fixtures/pods.js';
import { startTestInjector, namespacesYaml, type TestInjector } from '../helpers/injector.js';
import {
  applyStrict,
  containerNamed,
  decodePatch,
  envOf,
  expectReferencesDefined,
  expectValidPod,
  otelEnv,
  resourceOf,
} from '../helpers/pod-checks.js';

const nsName = (i: number) => `case-${i}`;
const prefixed = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [a(k), v]));

let server: TestInjector;
beforeAll(async () => {
  server = await startTestInjector(
    namespacesYaml(Object.fromEntries(CASES.map((c, i) => [nsName(i), prefixed(c.namespace)]))),
  );
});
afterAll(() => server.stop());

async function admit(input: Pod, namespace: string) {
  const body = review(input, { namespace });
  const res = await server.post(body).expect(200);
  expect(res.body.apiVersion).toBe('admission.k8s.io/v1');
  expect(res.body.kind).toBe('AdmissionReview');
  expect(res.body.response.uid).toBe(body.request.uid);
  expect(res.body.response.allowed).toBe(true);
  const {
    patch,
    patchType,
    warnings = [],
  } = res.body.response as { patch?: string; patchType?: string; warnings?: string[] };
  expect(patchType === undefined, 'patchType comes with a patch and only then').toBe(patch === undefined);
  return { pod: applyStrict(input, decodePatch(patch)), patched: patch !== undefined, warnings };
}

describe('injection over HTTPS, one namespace per case', () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c: InjectionCase, i) => {
    const before = structuredClone(c.pod);
    const { pod: after, patched, warnings } = await admit(c.pod, nsName(i));
    expect(c.pod, 'the input is not modified').toEqual(before);
    expect(patched).toBe(c.patched);
    expectValidPod(after);
    expectReferencesDefined(after);

    for (const [name, expected] of Object.entries(c.otel ?? {})) expect(otelEnv(after, name), name).toEqual(expected);
    for (const [name, expected] of Object.entries(c.resource ?? {})) {
      const withNamespace = (o: Record<string, string>) =>
        Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.replace('{namespace}', nsName(i))]));
      expect(resourceOf(after, name), `${name} resource attributes`).toEqual(expected && withNamespace(expected));
    }
    for (const [name, order] of Object.entries(c.envOrder ?? {})) {
      expect((containerNamed(after, name).env ?? []).map((e) => e.name)).toEqual(order);
    }
    for (const [name, refs] of Object.entries(c.valueFrom ?? {})) {
      for (const [env, ref] of Object.entries(refs)) {
        expect(containerNamed(after, name).env?.find((e) => e.name === env)).toEqual({ name: env, valueFrom: ref });
      }
    }
    for (const original of c.pod.spec.containers) {
      const nonOtel = (p: Pod) => Object.entries(envOf(p, original.name)).filter(([k]) => !k.startsWith('OTEL_'));
      expect(nonOtel(after), `other env of ${original.name} unchanged`).toEqual(nonOtel(c.pod));
    }
    if (c.caVolume !== undefined) {
      const volume = after.spec.volumes?.find((v) => v.name === 'collector-ca-volume');
      if (c.caVolume === null) expect(volume).toBeUndefined();
      else expect(volume?.configMap?.name).toBe(c.caVolume);
    }
    for (const [name, path] of Object.entries(c.caMount ?? {})) {
      const mount = containerNamed(after, name).volumeMounts?.find((m) => m.name === 'collector-ca-volume');
      if (path === null) expect(mount).toBeUndefined();
      else expect(mount).toEqual({ name: 'collector-ca-volume', mountPath: path, readOnly: true });
    }
    if (c.clientCert !== undefined) {
      const volume = after.spec.volumes?.find((v) => v.name === 'collector-client-cert-volume');
      if (c.clientCert === null) expect(volume?.secret).toBeUndefined();
      else
        expect(volume).toEqual({
          name: 'collector-client-cert-volume',
          secret: { secretName: c.clientCert, optional: true },
        });
    }
    for (const [name, path] of Object.entries(c.clientCertMount ?? {})) {
      const mount = containerNamed(after, name).volumeMounts?.find((m) => m.name === 'collector-client-cert-volume');
      if (path === null) expect(mount).toBeUndefined();
      else expect(mount).toEqual({ name: 'collector-client-cert-volume', mountPath: path, readOnly: true });
    }
    for (const name of c.untouched ?? []) {
      const all = (p: Pod) => [...p.spec.containers, ...(p.spec.initContainers ?? [])];
      expect(all(after).find((x) => x.name === name)).toEqual(all(c.pod).find((x) => x.name === name));
    }
    expect(warnings).toHaveLength(c.warnings?.length ?? 0);
    for (const pattern of c.warnings ?? [])
      expect(
        warnings.some((w) => pattern.test(w)),
        String(pattern),
      ).toBe(true);
    for (const w of warnings) expect(w.length).toBeLessThanOrEqual(120);

    const annotations = after.metadata?.annotations ?? {};
    if (c.injected !== undefined) expect(annotations[a('injected')]).toBe(c.injected);
    if (!c.patched) expect(after).toEqual(c.pod);
    expect(annotations[a('kept-env')]).toBe(c.kept);
    const { metadata: m0 = {}, ...rest0 } = c.pod;
    const { metadata: m1 = {}, ...rest1 } = after;
    expect({ ...m1, annotations: undefined }, 'metadata other than annotations unchanged').toEqual({
      ...m0,
      annotations: undefined,
    });
    expect(Object.keys(rest1).sort()).toEqual(Object.keys(rest0).sort());

    const again = await admit(after, nsName(i));
    expect(again.patched, 'running the webhook on its own output changes nothing').toBe(false);
  });

  it('gives the same patch for the same review, every time', async () => {
    const c = CASES.find((x) => x.name.startsWith('the documented example'));
    const i = CASES.indexOf(c as InjectionCase);
    const body = review(c?.pod, { namespace: nsName(i), uid: 'fixed-uid' });
    const answers = await Promise.all([1, 2, 3].map(() => server.post(body).expect(200)));
    const patches = answers.map((r) => r.body.response.patch as string);
    expect(new Set(patches).size).toBe(1);
  });
});
