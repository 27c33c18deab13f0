/**
 * CustomResourceDefinitions for the third-party kinds our manifests use (cert-manager's Issuer and Certificate, the
 * Prometheus operator's ServiceMonitor and PrometheusRule), so the real API server accepts them.
 *
 * WRITTEN BY US, not the projects' own CRDs: each has the real group, kind, plural and scope, but its schema only
 * requires `spec` to be an object and keeps every field (`x-kubernetes-preserve-unknown-fields`). The API server
 * therefore checks these objects' metadata, names and namespaces, not their spec; the specs are checked against the
 * projects' OpenAPI schemas offline in test/manifests/schema.ts.
 *
 * Used only where the real CRDs are not installed: the server-side dry runs of whole renderings
 * (test/helm/real-cluster.test.ts, test/real-cluster/dry-run.test.ts) and installs that do not run cert-manager.
 * Where cert-manager itself runs (test/real-cluster/cert-manager*.test.ts), its own CRDs from its own chart are
 * installed instead (test/harness/cert-manager/chart.ts), and these must not be applied over them.
 */
import type { K8sObject } from '../manifests/render.js';

const KNOWN: Record<string, { plural: string; scope: 'Namespaced' | 'Cluster' }> = {
  'cert-manager.io/Issuer': { plural: 'issuers', scope: 'Namespaced' },
  'cert-manager.io/Certificate': { plural: 'certificates', scope: 'Namespaced' },
  'monitoring.coreos.com/ServiceMonitor': { plural: 'servicemonitors', scope: 'Namespaced' },
  'monitoring.coreos.com/PrometheusRule': { plural: 'prometheusrules', scope: 'Namespaced' },
};

/** The CRDs the objects' third-party kinds need (none for built-in kinds); an unknown third-party kind throws. */
export function thirdPartyCrds(objects: readonly K8sObject[]): K8sObject[] {
  const kinds = new Map<string, { group: string; version: string; kind: string }>();
  for (const o of objects) {
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    if (group === undefined || version === undefined || !group.includes('.') || group.endsWith('.k8s.io')) continue;
    kinds.set(`${group}/${o.kind}`, { group, version, kind: o.kind });
  }
  return [...kinds].map(([key, { group, version, kind }]) => {
    const known = KNOWN[key];
    if (known === undefined) throw new Error(`no CRD written for ${key}`);
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${known.plural}.${group}` },
      spec: {
        group,
        scope: known.scope,
        names: { kind, plural: known.plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
        versions: [
          {
            name: version,
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                required: ['spec'],
                properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
              },
            },
          },
        ],
      },
    };
  });
}
