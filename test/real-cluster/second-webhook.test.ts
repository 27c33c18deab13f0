/**
 * Issue 19, scenario 8: alongside another mutating webhook that adds a sidecar, as Istio's injector does. The real
 * API server calls webhooks in the order of their configurations' names: `istio-sidecar-injector` after
 * `aigw-otel-injector`, so the sidecar arrives after our patch and the API server reinvokes ours
 * (`reinvocationPolicy: IfNeeded`, as shipped) with the sidecar in the pod; a configuration named to sort first
 * (`a-sidecar-injector`) runs before ours. Either way the stored pod has our configuration in the AI Gateway
 * container only, once, and the sidecar as its webhook made it.
 *
 * What the real API server does that our reference did not say: when webhooks changed a pod, it runs the in-tree
 * mutating plugins again, and the ServiceAccount plugin then mounts the token into the sidecar too. That is a change
 * after our call, so our webhook is reinvoked in *both* orders (and answers `already-configured`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInjector, type RunningInjector } from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { START_MS, STOP_MS, TEST_MS } from '../helpers/real-timeouts.js';
import {
  SIDECAR_ENV,
  startSidecarWebhook,
  waitForSidecar,
  type SidecarWebhook,
} from '../helpers/real-sidecar-webhook.js';
import { barePod, CORE_IMAGE, expectedEnv, GATEWAY_ANNOTATIONS, gatewayNamespace } from './fixtures.js';

const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');

const CASES = [
  {
    case: 'a sidecar webhook called after ours (istio-sidecar-injector)',
    configuration: 'istio-sidecar-injector',
    ns: 'mesh-after',
    // Ours, the sidecar's, the in-tree plugins again, then ours again: the pod changed after our call.
    ourReviews: ['injected', 'already-configured'],
    sidecarSawOurs: true,
  },
  {
    case: 'a sidecar webhook called before ours (a-sidecar-injector)',
    configuration: 'a-sidecar-injector',
    ns: 'mesh-before',
    // The sidecar's, ours, the in-tree plugins again (the token mounted into the sidecar), then ours again.
    ourReviews: ['injected', 'already-configured'],
    sidecarSawOurs: false,
  },
];

const hasOurEnv = (container: any) => (container.env ?? []).some((e: any) => e.name.startsWith('OTEL_EXPORTER_OTLP_'));

describe.skipIf(!real)('alongside a sidecar-injecting mutating webhook', { timeout: TEST_MS }, () => {
  let cp: ControlPlane;
  let injector: RunningInjector | undefined;
  let sidecar: SidecarWebhook | undefined;

  beforeAll(async () => {
    cp = await startControlPlane();
    const install = await installInjector(cp);
    injector = await install.startInjector();
    await install.waitForWebhooks(injector);
    sidecar = await startSidecarWebhook(install.tls);
    const ours = install.objects.find((o) => o.kind === 'MutatingWebhookConfiguration');
    const caBundle: string = ours?.webhooks[0].clientConfig.caBundle;
    for (const c of CASES) {
      await gatewayNamespace(cp, c.ns, GATEWAY_ANNOTATIONS);
      await cp.kubectl(['label', 'namespace', c.ns, `sidecar=${c.ns}`]);
      const configuration = sidecar.configuration(c.configuration, caBundle, { sidecar: c.ns });
      await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(configuration) });
      await waitForSidecar(cp, sidecar, c.ns);
    }
  }, START_MS);

  afterAll(async () => {
    await injector?.stop();
    await sidecar?.stop();
    await cp?.stop();
  }, STOP_MS);

  it.each(CASES)('$case: our configuration in the AI Gateway container only', async (c) => {
    await cp.kubectl(['create', '-f', '-'], {
      input: JSON.stringify(barePod('aigw', c.ns, [{ name: 'aigw', image: CORE_IMAGE }])),
    });
    const pod = await cp.getJson(['-n', c.ns, 'get', 'pod', 'aigw']);
    expect(pod.spec.containers.map((x: any) => x.name)).toEqual(['aigw', 'istio-proxy']);
    const [gateway, proxy] = pod.spec.containers;
    expect(gateway.env).toEqual(expectedEnv('core', c.ns, 'aigw'));
    expect(gateway.volumeMounts.map((m: any) => m.name)).toEqual([
      expect.stringMatching(/^kube-api-access-/),
      'collector-ca-volume',
    ]);
    expect(proxy.env).toEqual(SIDECAR_ENV);
    // The ServiceAccount plugin, run again after the webhooks, mounts the token into the sidecar; nothing of ours.
    expect(proxy.volumeMounts.map((m: any) => m.name)).toEqual([
      'istio-envoy',
      expect.stringMatching(/^kube-api-access-/),
    ]);
    expect(pod.spec.volumes.map((v: any) => v.name)).toEqual([
      expect.stringMatching(/^kube-api-access-/),
      ...(c.sidecarSawOurs ? ['collector-ca-volume', 'istio-envoy'] : ['istio-envoy', 'collector-ca-volume']),
    ]);
    expect(pod.metadata.annotations['aigw-otel.io/injected']).toBe('core');
  });

  it.each(CASES)('$case: the API server called ours as many times as the order asks', (c) => {
    const reviews = injector?.reviews().filter((r) => r.namespace === c.ns && r.name === 'aigw') ?? [];
    expect(reviews.map((r) => r.reason)).toEqual(c.ourReviews);
    const received = sidecar?.received('aigw') ?? [];
    const seen = received.filter((p) => p.metadata.namespace === c.ns);
    expect(seen).toHaveLength(1);
    expect(hasOurEnv(seen[0].spec.containers[0])).toBe(c.sidecarSawOurs);
  });
});
