/**
 * Issue 19, scenario 2: the mutating webhook's namespaceSelector and matchConditions, as shipped, compiled and
 * evaluated by the real API server's CEL. A pod the conditions leave out is never sent: the injector receives no
 * review for it (counted from its log, one line per review), and the pod is stored untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INJECTOR_NAMESPACE, installInjector, type RunningInjector } from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { haveRealParts } from '../helpers/real-parts.js';
import {
  barePod,
  CORE_IMAGE,
  gatewayNamespace,
  ISTIO_IMAGE,
  LABS_IMAGE,
  PROCESSOR_IMAGE,
  serviceAccountReady,
  type ContainerSpec,
} from './fixtures.js';

const NS = 'ai-gateway';
const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');
const NGINX = 'docker.io/library/nginx:1.27';
const c = (name: string, image: string): ContainerSpec => ({ name, image });

// [case, namespace, containers, labels, sent to the webhook]
const CASES: [string, string, ContainerSpec[], Record<string, string>, boolean][] = [
  ['the core image', NS, [c('aigw', CORE_IMAGE)], {}, true],
  ['the F5 processors image', NS, [c('processor', PROCESSOR_IMAGE)], {}, true],
  ['a processor-labs image', NS, [c('prompt-guard', LABS_IMAGE)], {}, true],
  [
    'a custom image labelled role processor',
    NS,
    [c('pii', 'ghcr.io/acme/pii-redactor:2.3')],
    { 'aigw-otel.io/role': 'processor' },
    true,
  ],
  ['a sidecar next to the core image', NS, [c('istio-proxy', ISTIO_IMAGE), c('aigw', CORE_IMAGE)], {}, true],
  ['nginx', NS, [c('web', NGINX)], {}, false],
  [
    'nginx with an istio sidecar, app label aigw',
    NS,
    [c('web', NGINX), c('istio-proxy', ISTIO_IMAGE)],
    { app: 'aigw' },
    false,
  ],
  [
    'an image merely named like the gateway (aigw-cli)',
    NS,
    [c('cli', 'registry.example/aigw/aigw-cli:1.0')],
    {},
    false,
  ],
  ['the core image in kube-system', 'kube-system', [c('aigw', CORE_IMAGE)], {}, false],
  ['the core image in kube-public', 'kube-public', [c('aigw', CORE_IMAGE)], {}, false],
  ['the core image in kube-node-lease', 'kube-node-lease', [c('aigw', CORE_IMAGE)], {}, false],
  ["the core image in the injector's own namespace", INJECTOR_NAMESPACE, [c('aigw', CORE_IMAGE)], {}, false],
];

describe.skipIf(!real)('which pods the real API server sends to the webhook', () => {
  let cp: ControlPlane;
  let injector: RunningInjector | undefined;
  const podReviews = () => injector?.reviews().filter((r) => r.webhook === 'mutate-pods' && r.dryRun !== true) ?? [];

  beforeAll(async () => {
    cp = await startControlPlane();
    console.info(`control plane ready in ${cp.startupMs} ms`);
    const install = await installInjector(cp);
    injector = await install.startInjector();
    await install.waitForWebhooks(injector);
    await gatewayNamespace(cp, NS);
    for (const ns of ['kube-system', 'kube-public', 'kube-node-lease', INJECTOR_NAMESPACE]) {
      await cp.kubectl(['annotate', 'namespace', ns, 'aigw-otel.io/endpoint=https://collector:4317']);
      await serviceAccountReady(cp, ns);
    }
  }, 240_000);

  afterAll(async () => {
    await injector?.stop();
    await cp?.stop();
  }, 60_000);

  it.each(CASES)('%s (in %s) → sent: %s', async (name, namespace, containers, labels, sent) => {
    const podName = `p-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`.slice(0, 60).replace(/-$/, '');
    const before = podReviews().length;
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(barePod(podName, namespace, containers, labels)) });
    const stored = await cp.getJson(['-n', namespace, 'get', 'pod', podName]);
    // The API server calls the webhook within the create: once kubectl returns, the review has been answered.
    const received = podReviews().slice(before);
    expect(received.map((r) => `${r.namespace}/${r.name}`)).toEqual(sent ? [`${namespace}/${podName}`] : []);
    const marker = stored.metadata.annotations?.['aigw-otel.io/injected'];
    if (sent) expect(marker).toBeDefined();
    else expect(marker).toBeUndefined();
  });
});
