/**
 * The injector installed into a real control plane (test/helpers/control-plane.ts) from our own rendered manifests,
 * and run as a local process authenticated as the manifests' ServiceAccount.
 *
 *   const cp = await startControlPlane();
 *   const install = await installInjector(cp, { components: ['auto-rollout', 'monitoring'] });
 *   const injector = await install.startInjector();   // cluster mode, as system:serviceaccount:aigw-otel-injector:…
 *   await install.waitForWebhooks(injector);            // the API server calls both webhooks now
 *   …  injector.reviews().filter((r) => r.namespace === 'ai-gateway')
 *   await injector.stop();                              // in afterAll, before cp.stop()
 *
 * Also: `renderManifests(overlay, components)` renders an overlay as shipped (no url swap), `applyObjects(cp, objects,
 * ['--dry-run=server'])` applies any objects server-side (CRDs of third-party kinds first, see ./crds.ts), and
 * `install.applyComponents([...])` adds components to the running install. For an install made otherwise (the chart,
 * test/helm/real-cluster.test.ts): `containerEnv(container, namespace)`, `untilReady(injector, ms, what)` and
 * `waitForWebhooks(cp, injector, ms)`. Stop the injector before the control plane. To run the webhook as another
 * process, start it with `install.serviceAccount.path` as KUBECONFIG and PORT=`install.webhookPort`, TLS files from
 * `install.tls`.
 *
 * `installInjector` renders the static-certs overlay with fresh certificates (plus the components asked for) and
 * `kubectl apply --server-side`s every object. The one change to the rendered objects: each webhook's
 * `clientConfig.service` becomes a `url` on 127.0.0.1, because there is no cluster network here (no kube-proxy, no
 * pod IPs) for the API server to reach a Service through; `caBundle`, rules, selectors, matchConditions,
 * failurePolicy, timeoutSeconds, sideEffects and reinvocationPolicy stay as shipped. The Deployment is applied too
 * (its ReplicaSet's pods stay Pending: there is no scheduler); the webhook is this test process instead, started with
 * the Deployment's own environment and a token from the real TokenRequest API (`kubectl create token`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { find, manifestsWithCerts, render, type K8sObject } from '../manifests/render.js';
import type { ControlPlane } from './control-plane.js';
import { thirdPartyCrds } from './crds.js';
import { startTestInjector, type TestInjector } from './injector.js';
import { freePort } from './process.js';

export const INJECTOR_NAMESPACE = 'aigw-otel-injector';
export const SERVICE_ACCOUNT = 'aigw-otel-injector';
/** The user the API server sees when the injector calls it. */
export const SERVICE_ACCOUNT_USER = `system:serviceaccount:${INJECTOR_NAMESPACE}:${SERVICE_ACCOUNT}`;

export type Component = 'auto-rollout' | 'monitoring';

export interface InstallOptions {
  /** kustomize components added to the static-certs overlay, as the README says to add them. */
  readonly components?: readonly Component[];
}

/** One review the injector answered: a line of its log. */
export interface ReviewLine {
  readonly webhook: 'mutate-pods' | 'validate-namespaces';
  readonly namespace?: string;
  /** The pod's name or generateName, or the namespace's name. */
  readonly name?: string;
  readonly operation: string;
  readonly dryRun?: boolean;
  readonly outcome: string;
  readonly reason: string;
}

export interface RunningInjector extends TestInjector {
  /** Every review answered so far, in order. */
  reviews(): ReviewLine[];
}

export interface ClusterInstall {
  /** The objects as applied (webhooks with the loopback url). */
  readonly objects: K8sObject[];
  /** The port the webhook configurations point at. */
  readonly webhookPort: number;
  /** The serving certificate and key the rendered Secret holds (signed by the CA in both caBundles). */
  readonly tls: { readonly certFile: string; readonly keyFile: string };
  /** A kubeconfig (file and client-node object) that authenticates as the injector's ServiceAccount. */
  readonly serviceAccount: { readonly path: string; readonly kubeConfig: KubeConfig };
  /** Starts the injector in this process, in cluster mode, as the ServiceAccount, on `webhookPort`; waits for /readyz. */
  startInjector(env?: Record<string, string>): Promise<RunningInjector>;
  /** Resolves once the API server calls both webhooks (its webhook configuration cache has caught up). */
  waitForWebhooks(injector: RunningInjector, timeoutMs?: number): Promise<void>;
  /** Renders the static-certs overlay again with these components and applies it (server-side) over the install. */
  applyComponents(components: readonly Component[]): Promise<void>;
}

/** Renders our manifests, applies them server-side, and gets a token for the ServiceAccount. */
export async function installInjector(cp: ControlPlane, options: InstallOptions = {}): Promise<ClusterInstall> {
  const { root } = manifestsWithCerts();
  const staticCerts = join(root, 'manifests/overlays/static-certs');
  const webhookPort = await freePort();
  const renderWith = (components: readonly Component[]) =>
    withLoopbackUrls(render(overlayWith(root, components)), webhookPort);
  let objects = renderWith(options.components ?? []);
  await applyObjects(cp, objects);

  const token = (
    await cp.kubectl(['-n', INJECTOR_NAMESPACE, 'create', 'token', SERVICE_ACCOUNT, '--duration=2h'])
  ).stdout.trim();
  const serviceAccount = cp.tokenKubeConfig(token, 'aigw-otel-injector-sa');
  const tls = { certFile: join(staticCerts, 'tls.crt'), keyFile: join(staticCerts, 'tls.key') };
  return {
    get objects() {
      return objects;
    },
    webhookPort,
    tls,
    serviceAccount,
    startInjector: (env = {}) =>
      startAs(serviceAccount.kubeConfig, {
        HOSTNAME: 'aigw-otel-injector-test-0',
        ...deploymentEnv(objects),
        PORT: String(webhookPort),
        ADMIN_PORT: '0',
        TLS_CERT_FILE: tls.certFile,
        TLS_KEY_FILE: tls.keyFile,
        ...env,
      }),
    waitForWebhooks: (injector, timeoutMs) => waitForWebhooks(cp, injector, timeoutMs),
    applyComponents: async (components) => {
      objects = renderWith(components);
      await applyObjects(cp, objects);
    },
  };
}

/** A kustomization of an overlay plus components, in the rendered copy of manifests/, as the README adds them. */
function overlayWith(root: string, components: readonly Component[], overlay: Overlay = 'static-certs'): string {
  const dir = join(root, 'manifests/overlays', ['test', overlay, ...components].join('-'));
  mkdirSync(dir, { recursive: true });
  const listed = components.map((c) => `  - ../../components/${c}\n`).join('');
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `resources:\n  - ../${overlay}\n${components.length > 0 ? `components:\n${listed}` : ''}`,
  );
  return dir;
}

export type Overlay = 'static-certs' | 'cert-manager';

/** Our manifests as shipped (no url swap): an overlay, with fresh certificates for static-certs, plus components. */
export function renderManifests(overlay: Overlay, components: readonly Component[] = []): K8sObject[] {
  const { root } = manifestsWithCerts();
  return render(overlayWith(root, components, overlay));
}

/**
 * The only change to the rendered objects: the API server cannot reach a Service without a cluster network, so each
 * webhook calls the local process on loopback at the Service's path. Everything else stays as shipped.
 */
export function withLoopbackUrls(objects: K8sObject[], port: number): K8sObject[] {
  return objects.map((o) => {
    if (o.kind !== 'MutatingWebhookConfiguration' && o.kind !== 'ValidatingWebhookConfiguration') return o;
    const webhooks = (o.webhooks as { clientConfig: { service: { path: string }; caBundle: string } }[]).map((w) => {
      const { service, ...rest } = w.clientConfig;
      return { ...w, clientConfig: { ...rest, url: `https://127.0.0.1:${port}${service.path}` } };
    });
    return { ...o, webhooks };
  });
}

/** `kubectl apply --server-side` of the objects, the CRDs of third-party kinds first (see test/helpers/crds.ts). */
export async function applyObjects(cp: ControlPlane, objects: K8sObject[], extraArgs: string[] = []): Promise<string> {
  const crds = thirdPartyCrds(objects);
  if (crds.length > 0) {
    await cp.kubectl(['apply', '--server-side', '--field-manager=aigw-test', '-f', '-'], { input: yamlOf(crds) });
    for (const crd of crds) {
      await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crd.metadata.name}`]);
    }
  }
  const applied = await cp.kubectl(['apply', '--server-side', '--field-manager=aigw-test', ...extraArgs, '-f', '-'], {
    input: yamlOf(objects),
  });
  return applied.stdout;
}

export const yamlOf = (objects: readonly object[]) => objects.map((o) => stringify(o)).join('---\n');

/**
 * A container's environment as the kubelet would resolve it here: its values, and the downward-API namespace as
 * `namespace`. NODE_OPTIONS is left out: the Node process running the tests is not ours to tune.
 */
export function containerEnv(
  container: { env: { name: string; value?: string; valueFrom?: any }[] },
  namespace: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env) {
    if (e.name === 'NODE_OPTIONS') continue;
    if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = namespace;
    else if (e.value !== undefined) env[e.name] = e.value;
    else throw new Error(`env ${e.name}: source not resolved by the test`);
  }
  return env;
}

/** The injector container's environment as the rendered Deployment gives it (the downward API resolved). */
export function deploymentEnv(objects: K8sObject[]): Record<string, string> {
  return containerEnv(
    find(objects, 'Deployment', 'aigw-otel-injector').spec.template.spec.containers[0],
    INJECTOR_NAMESPACE,
  );
}

/**
 * Resolves once the injector answers /readyz with 200 (its first list of namespaces may take seconds on a loaded
 * machine); else stops it and fails with `what` and its log.
 */
export async function untilReady(injector: TestInjector, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await fetch(`${injector.adminUrl}/readyz`).catch(() => undefined))?.status !== 200) {
    if (Date.now() > deadline) {
      await injector.stop();
      throw new Error(`${what}:\n${injector.logs()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startAs(kubeConfig: KubeConfig, env: Record<string, string>): Promise<RunningInjector> {
  const injector = await startTestInjector(undefined, env, { kubeConfig });
  await untilReady(injector, 30_000, 'injector not ready as the ServiceAccount');
  return { ...injector, reviews: () => reviewLines(injector.logs()) };
}

export function reviewLines(logs: string): ReviewLine[] {
  return logs
    .split('\n')
    .filter((l) => l.includes('"msg":"review'))
    .map((l) => JSON.parse(l) as ReviewLine);
}

const PROBE = 'webhook-probe';

/**
 * The API server loads webhook configurations through an informer: a configuration just applied is not called at
 * once. Server-side dry runs (our webhooks declare `sideEffects: None`) of a pod and of a namespace annotation
 * show when both are called.
 */
export async function waitForWebhooks(cp: ControlPlane, injector: RunningInjector, timeoutMs = 30_000): Promise<void> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: PROBE, namespace: 'default' },
    spec: { containers: [{ name: 'aigw', image: 'private-registry.f5.com/aigw/aigw:v1.1.0' }] },
  };
  const called = (webhook: string) =>
    injector.reviews().some((r) => r.webhook === webhook && r.name === (webhook === 'mutate-pods' ? PROBE : 'default'));
  const deadline = Date.now() + timeoutMs;
  while (!called('mutate-pods') || !called('validate-namespaces')) {
    if (Date.now() > deadline) throw new Error(`webhooks not called in ${timeoutMs} ms:\n${injector.logs()}`);
    await cp.kubectl(['create', '--dry-run=server', '-f', '-'], { input: JSON.stringify(pod), allowFailure: true });
    await cp.kubectl(
      ['annotate', '--dry-run=server', 'namespace', 'default', 'aigw-otel.io/endpoint=https://probe:4317'],
      { allowFailure: true },
    );
    await new Promise((r) => setTimeout(r, 250));
  }
}
