/**
 * Our injector installed with cert-manager as its certificate source, three ways: the Helm chart with
 * `certificates.source: certManager` (its own self-signed Issuer, or an Issuer of the user's), and the kustomize
 * `cert-manager` overlay. Each is rendered as shipped; the one change is ./loopback-service.ts (the Service as
 * ExternalName 127.0.0.1, the webhooks' port the injector process's port), made by helm's --post-renderer or to the
 * kustomize rendering. No caBundle is set by the test: cert-manager's cainjector writes it.
 */
import { renderManifests } from '../../helpers/cluster-install.js';
import type { ControlPlane } from '../../helpers/control-plane.js';
import { CHART, NAMESPACE, RELEASE, helmAsync, valuesFile } from '../../helpers/helm.js';
import type { K8sObject } from '../../manifests/render.js';
import { applyObjectsAsIs } from './apply.js';
import { loopbackPostRenderer, routeServiceToLoopback } from './loopback-service.js';

/** What a test needs of an install: the names cert-manager and the API server see, and how to remove it. */
export interface Install {
  /** Namespace of the Certificate, its Secret, the Service and the Deployment. */
  readonly namespace: string;
  /** The Certificate (and Secret) name, the webhook configurations' name, the Service name. */
  readonly certificate: string;
  readonly webhookConfigurations: string;
  readonly service: string;
  /** The Deployment as the API server stores it (its env, ServiceAccount and tls volume are what the process uses). */
  deployment(): Promise<K8sObject>;
  uninstall(): Promise<void>;
}

const SERVICE = { namespace: NAMESPACE, name: RELEASE };

/** The README's namespace step: created and labelled for the Pod Security level the injector's pods meet. */
async function releaseNamespace(cp: ControlPlane): Promise<void> {
  await cp.kubectl(['create', 'namespace', NAMESPACE]);
  await cp.kubectl(['label', 'namespace', NAMESPACE, 'pod-security.kubernetes.io/enforce=restricted']);
}

/** Deletes the namespace (Certificate, Secret, Issuers with it) and waits until it is gone. */
async function removeNamespace(cp: ControlPlane): Promise<void> {
  await cp.kubectl(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=120s']);
}

/** `helm install` of our chart with certificates.source=certManager and these certManager values. */
export async function installChart(
  cp: ControlPlane,
  port: number,
  certManager: Record<string, unknown> = {},
  before?: (cp: ControlPlane) => Promise<void>,
): Promise<Install> {
  await releaseNamespace(cp);
  if (before !== undefined) await before(cp);
  const values = valuesFile({ certificates: { source: 'certManager', certManager } });
  const kube = ['--namespace', NAMESPACE, '--kubeconfig', cp.kubeconfigPath];
  const installed = await helmAsync([
    'install',
    RELEASE,
    CHART,
    ...kube,
    '-f',
    values,
    '--post-renderer',
    loopbackPostRenderer(SERVICE, port),
  ]);
  if (installed.status !== 0) throw new Error(`helm install failed: ${installed.stderr}`);
  return {
    namespace: NAMESPACE,
    certificate: `${RELEASE}-tls`,
    webhookConfigurations: RELEASE,
    service: RELEASE,
    deployment: () => cp.getJson(['-n', NAMESPACE, 'get', 'deployment', RELEASE]),
    uninstall: async () => {
      const r = await helmAsync(['uninstall', RELEASE, ...kube, '--wait']);
      if (r.status !== 0) throw new Error(`helm uninstall failed: ${r.stderr}`);
      await removeNamespace(cp);
    },
  };
}

/** A user's CA Issuer `user-ca` in the release namespace: their CA's key pair in a Secret, as cert-manager's docs. */
export function userCaIssuer(caCertPem: string, caKeyPem: string) {
  return async (cp: ControlPlane) => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'user-ca', namespace: NAMESPACE },
      data: { 'tls.crt': b64(caCertPem), 'tls.key': b64(caKeyPem) },
    };
    const issuer = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'user-ca', namespace: NAMESPACE },
      spec: { ca: { secretName: 'user-ca' } },
    };
    await applyObjectsAsIs(cp, [secret, issuer] as K8sObject[]);
  };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The kustomize cert-manager overlay, applied server-side as the README says. */
export async function installOverlay(cp: ControlPlane, port: number): Promise<Install> {
  const objects = routeServiceToLoopback(renderManifests('cert-manager'), SERVICE, port);
  // The overlay brings its own Namespace; create it first so the namespaced objects land.
  const namespaces = objects.filter((o) => o.kind === 'Namespace');
  await applyObjectsAsIs(cp, namespaces);
  await applyObjectsAsIs(
    cp,
    objects.filter((o) => o.kind !== 'Namespace'),
  );
  const certificate = objects.find((o) => o.kind === 'Certificate');
  if (certificate === undefined) throw new Error('the cert-manager overlay rendered no Certificate');
  return {
    namespace: NAMESPACE,
    certificate: certificate.metadata.name,
    webhookConfigurations: RELEASE,
    service: RELEASE,
    deployment: () => cp.getJson(['-n', NAMESPACE, 'get', 'deployment', RELEASE]),
    uninstall: async () => {
      const cluster = objects.filter((o) => o.metadata.namespace === undefined && o.kind !== 'Namespace');
      for (const o of cluster) await cp.kubectl(['delete', o.kind, o.metadata.name, '--ignore-not-found']);
      await removeNamespace(cp);
    },
  };
}
