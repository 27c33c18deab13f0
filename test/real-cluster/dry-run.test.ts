/**
 * Issue 19, scenario 9: a server-side dry run previews the injection against a live cluster. The webhook declares
 * `sideEffects: None`, so the real API server calls it for `--dry-run=server` requests; kubectl prints the pod the
 * API server would store, with the injected configuration, and nothing is stored, nor is an Event recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { applyObjects, installInjector, renderManifests, type RunningInjector } from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { barePod, CORE_IMAGE, expectedEnv, gatewayNamespace, PROCESSOR_IMAGE } from './fixtures.js';

const NS = 'ai-gateway';
const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');

// [case, pod, container, image, role]
const CASES = [
  ['the core', 'aigw-preview', 'aigw', CORE_IMAGE, 'core'],
  ['a processor', 'processor-preview', 'processor', PROCESSOR_IMAGE, 'processor'],
] as const;

describe.skipIf(!real)('kubectl create --dry-run=server previews the injection', () => {
  let cp: ControlPlane;
  let injector: RunningInjector | undefined;

  beforeAll(async () => {
    cp = await startControlPlane();
    console.info(`control plane ready in ${cp.startupMs} ms`);
    const install = await installInjector(cp);
    injector = await install.startInjector();
    await install.waitForWebhooks(injector);
    await gatewayNamespace(cp, NS);
  }, 240_000);

  afterAll(async () => {
    await injector?.stop();
    await cp?.stop();
  }, 60_000);

  it.each(CASES)('%s: the printed pod carries exactly the configuration, and nothing is stored', async (...c) => {
    const [, name, container, image, role] = c;
    const result = await cp.kubectl(['create', '--dry-run=server', '-o', 'yaml', '-f', '-'], {
      input: JSON.stringify(barePod(name, NS, [{ name: container, image }])),
    });
    const printed = parse(result.stdout);
    // A bare pod has no workload: its attributes stop at the container's name.
    expect(printed.spec.containers[0].env).toEqual(expectedEnv(role, NS, container));
    expect(printed.spec.volumes.filter((v: any) => v.name === 'collector-ca-volume')).toEqual([
      { name: 'collector-ca-volume', configMap: { name: 'collector-ca', defaultMode: 420 } },
    ]);
    expect(printed.metadata.annotations['aigw-otel.io/injected']).toBe(role);
    const stored = await cp.kubectl(['-n', NS, 'get', 'pod', name], { allowFailure: true });
    expect(stored.stderr).toContain(`pods "${name}" not found`);
    const review = injector?.reviews().find((r) => r.name === name);
    expect(review).toMatchObject({ webhook: 'mutate-pods', outcome: 'patched', reason: 'injected', dryRun: true });
  });

  it('warnings are printed by kubectl, and only the real creation records an Event', async () => {
    const pod = barePod('bad-interval', NS, [{ name: 'aigw', image: CORE_IMAGE }]);
    const withBadValue = {
      ...pod,
      metadata: { ...pod.metadata, annotations: { 'aigw-otel.io/metric-export-interval': 'soon' } },
    };
    const input = JSON.stringify(withBadValue);
    const dry = await cp.kubectl(['create', '--dry-run=server', '-o', 'yaml', '-f', '-'], { input });
    expect(dry.stderr).toContain('Warning: aigw-otel.io/metric-export-interval="soon": not a duration');
    await cp.kubectl(['create', '-f', '-'], { input });
    const events = async () =>
      (await cp.getJson(['-n', NS, 'get', 'events', '--field-selector', 'reason=InvalidTelemetryAnnotation']))
        .items as any[];
    await eventually(async () => (await events()).length > 0, 30_000, 'no InvalidTelemetryAnnotation Event');
    const [event, ...more] = await events();
    expect(more).toEqual([]);
    expect(event.count, 'the dry run recorded nothing').toBe(1);
    expect(event.message).toContain('metric-export-interval');
  });

  it.each([
    ['cert-manager', ['auto-rollout', 'monitoring']],
    ['static-certs', ['auto-rollout', 'monitoring']],
  ] as const)(
    "the %s overlay with %j, as shipped: every object passes the API server's validation",
    async (overlay, components) => {
      const objects = renderManifests(overlay, components);
      // Server-side apply as a dry run: validated and admitted, not stored (the static-certs install is in place).
      const out = await applyObjects(cp, objects, ['--dry-run=server']);
      const applied = out.trim().split('\n');
      expect(applied).toHaveLength(objects.length);
      for (const o of objects) {
        expect(
          applied.some((l) => l.includes(`/${o.metadata.name} serverside-applied (server dry run)`)),
          `${o.kind}/${o.metadata.name}`,
        ).toBe(true);
      }
    },
  );
});
