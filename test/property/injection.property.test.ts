import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutatePod } from '../../src/admission/mutate-pods.js';
import { isPodCreate } from '../../src/admission/mutate-pods.js';
import type { Pod } from '../../src/core/pod.js';
import { FIELD_VARS, RESOURCE_ATTRIBUTES } from '../../src/core/resource-attributes.js';
import { MANAGED_ENV } from '../../src/core/settings.js';
import { roleOfImage } from '../../src/core/targets.js';
import { applyStrict, decodePatch, expectValidPod } from '../helpers/pod-checks.js';
import { ownAnnotations, pod } from './arbitraries.js';

// 10,000 cases in CI; PROPERTY_RUNS and FC_SEED replay or shorten a run.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);
const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log(`property tests: fast-check seed ${SEED} (replay with FC_SEED=${SEED}), ${RUNS} runs`);

const request = (object: Pod) => ({
  uid: 'property',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  operation: 'CREATE',
  namespace: 'ns',
  object,
});

async function admit(namespace: Record<string, string>, input: Pod) {
  const req = request(input);
  expect(isPodCreate(req)).toBe(true);
  const outcome = await mutatePod(req, { lookup: () => namespace });
  return { outcome, output: applyStrict(input, decodePatch(outcome.response.patch)) };
}

/** Whether `override` is in force: a pod's valid value wins, a bad one leaves the namespace's in force. */
const override = (ns: Record<string, string>, p: Pod) => {
  const valid = (v: string | undefined) => (v === 'true' || v === 'false' ? v : undefined);
  const key = 'aigw-otel.io/override';
  return (valid(p.metadata?.annotations?.[key]) ?? valid(ns[key])) === 'true';
};

describe('injection properties', () => {
  it('holds for generated pods and annotations', async () => {
    await fc.assert(
      fc.asyncProperty(ownAnnotations, pod, async (namespace, input) => {
        const before = structuredClone(input);
        const { outcome, output } = await admit(namespace, input);
        // nothing throws: every input ends in a decision with a reason
        expect(outcome.reason).not.toBe('internal-error');
        expect(outcome.response.allowed).toBe(true);
        expect(input, 'input untouched').toEqual(before);
        // the patch applied strictly (above); the result passes the pod rules an injector can break
        expectValidPod(output);
        // applying the webhook to its own output changes nothing
        const again = await admit(namespace, output);
        expect(again.outcome.response.patch).toBeUndefined();
        // non-target containers and init containers are byte-identical
        expect(JSON.stringify(output.spec.initContainers)).toBe(JSON.stringify(input.spec.initContainers));
        const labelled = ['core', 'processor'].includes(input.metadata?.labels?.['aigw-otel.io/role'] ?? '');
        input.spec.containers.forEach((c, i) => {
          const after = output.spec.containers[i];
          expect(after?.name).toBe(c.name);
          if (!labelled && roleOfImage(c.image) === undefined) expect(JSON.stringify(after)).toBe(JSON.stringify(c));
          // env the pod set keeps its value unless override is on (an unset entry may be filled in place); its
          // resource attributes are only appended to
          if (!override(namespace, input)) {
            for (const e of c.env ?? []) {
              const now = after?.env?.find((x) => x.name === e.name);
              if (e.valueFrom === undefined && !e.value) continue;
              if (e.name === RESOURCE_ATTRIBUTES && e.value !== undefined) {
                expect(now?.value?.startsWith(e.value.replace(/[\s,]+$/, ''))).toBe(true);
              } else {
                expect(now).toEqual(e);
              }
            }
          }
          // no duplicate env of ours; each $(VAR) we wrote is defined before it
          const ours = [...MANAGED_ENV, RESOURCE_ATTRIBUTES, ...FIELD_VARS.map((f) => f.env.name)];
          for (const name of ours) {
            expect((after?.env ?? []).filter((e) => e.name === name).length).toBeLessThanOrEqual(1);
          }
          const attributes = after?.env?.findIndex((e) => e.name === RESOURCE_ATTRIBUTES) ?? -1;
          const original = c.env?.find((e) => e.name === RESOURCE_ATTRIBUTES)?.value ?? '';
          const written = (after?.env?.[attributes]?.value ?? '').slice(original.length);
          for (const [, ref] of written.matchAll(/\$\(([A-Z_]+)\)/g)) {
            const definedAt = after?.env?.findIndex((e) => e.name === ref) ?? -1;
            expect(definedAt, `$(${ref ?? ''}) defined before use`).toBeGreaterThanOrEqual(0);
            expect(definedAt).toBeLessThan(attributes);
          }
        });
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // 10,000 cases take 15-25 s alone on a 2-core machine, longer beside the rest of the suite: a bounded loop.
  }, 120_000);
});
