/**
 * cert-manager's own Helm chart (from the cert-manager module test/real/parts/80-cert-manager.sh built from), rendered
 * with the real helm: its CRDs, ServiceAccounts, RBAC, Deployments (for their args) and webhook configurations. What
 * cert-manager installs is what the tests install; nothing here is written by us.
 */
import { dirname } from 'node:path';
import { helm, parseObjects, valuesFile } from '../../helpers/helm.js';
import { realPaths } from '../../helpers/real-parts.js';
import type { K8sObject } from '../../manifests/render.js';

export const CM_NAMESPACE = 'cert-manager';
export const CM_RELEASE = 'cert-manager';

/** The chart's values the tests install with: its CRDs on (off by default), everything else as shipped. */
const VALUES = { crds: { enabled: true } };

export interface CertManagerRendering {
  readonly all: readonly K8sObject[];
  readonly crds: readonly K8sObject[];
  /** ServiceAccounts, ClusterRoles, ClusterRoleBindings, Roles and RoleBindings, as the chart grants them. */
  readonly rbac: readonly K8sObject[];
  /** The controller's, cainjector's and webhook's Deployments, by component label. */
  readonly deployments: Readonly<Record<Component, K8sObject>>;
  /** cert-manager's own webhook: its Service and its two webhook configurations. */
  readonly webhook: readonly K8sObject[];
}

export type Component = 'controller' | 'cainjector' | 'webhook';

const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/** `helm template` of cert-manager's chart; helm hooks (the startupapicheck Job and its RBAC) are left out. */
export function renderCertManager(): CertManagerRendering {
  const chart = dirname(realPaths.certManagerChart);
  const r = helm(['template', CM_RELEASE, chart, '--namespace', CM_NAMESPACE, '-f', valuesFile(VALUES)]);
  if (r.status !== 0) throw new Error(`helm template of cert-manager failed (${r.status}): ${r.stderr}`);
  const all = parseObjects(r.stdout).filter((o) => o.metadata.annotations?.['helm.sh/hook'] === undefined);
  const component = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'];
  const deployment = (c: Component) => {
    const found = all.find((o) => o.kind === 'Deployment' && component(o) === c);
    if (found === undefined) throw new Error(`cert-manager's chart rendered no ${c} Deployment`);
    return found;
  };
  return {
    all,
    crds: all.filter((o) => o.kind === 'CustomResourceDefinition'),
    rbac: all.filter((o) => RBAC_KINDS.has(o.kind)),
    deployments: {
      controller: deployment('controller'),
      cainjector: deployment('cainjector'),
      webhook: deployment('webhook'),
    },
    webhook: all.filter(
      (o) =>
        component(o) === 'webhook' &&
        ['Service', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].includes(o.kind),
    ),
  };
}
