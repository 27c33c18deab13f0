/**
 * The Helm chart, offline, with the real helm: lint, rendering with every value set, what each switch renders, and
 * the values schema refusing bad values by name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, parseDocument, type Node } from 'yaml';
import { find, type K8sObject } from '../manifests/render.js';
import { validateSchema } from '../manifests/schema.js';
import { CHART, NAMESPACE, helm, template, valuesFile } from '../helpers/helm.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { RENDER_CASES } from './cases.js';

const real = haveRealParts('helm');

const deployment = (objects: K8sObject[]) => find(objects, 'Deployment');
const container = (objects: K8sObject[]) => deployment(objects).spec.template.spec.containers[0];
const envNames = (objects: K8sObject[]) => (container(objects).env as { name: string }[]).map((e) => e.name);
const kinds = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const ruleResources = (objects: K8sObject[], name = 'aigw-otel-injector') =>
  (find(objects, 'ClusterRole', name).rules as { resources: string[] }[]).flatMap((r) => r.resources);

describe.skipIf(!real)('the Helm chart, rendered by the real helm', () => {
  it('Chart.yaml: appVersion is the package version, and the image tag defaults to it', () => {
    const chart = parseDocument(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')).toJS() as { appVersion: string };
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
    expect(container(template()).image).toBe(`aigw-otel-injector:${pkg.version}`);
  });

  it("values.yaml: every key of the chart's own has a comment above it (Kubernetes objects are described whole)", () => {
    const doc = parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    type Schema = { properties?: Record<string, Schema>; additionalProperties?: unknown };
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as Schema;
    const uncommented: string[] = [];
    // Descends only where the schema closes the map (additionalProperties false): there the keys are the chart's.
    const walk = (node: Node | null, at: Schema, path: string, first: boolean): void => {
      if (!isMap(node) || at.additionalProperties !== false) return;
      node.items.forEach((pair, i) => {
        const name = isScalar(pair.key) ? String(pair.key.value) : '?';
        // The first key's comment is attached to the document (top level) or the map (nested) by the parser.
        const comment =
          (pair.key as Node).commentBefore ?? (i === 0 ? (first ? doc.commentBefore : node.commentBefore) : null);
        if (!comment?.includes('--')) uncommented.push(`${path}${name}`);
        walk(pair.value as Node, at.properties?.[name] ?? {}, `${path}${name}.`, false);
      });
    };
    walk(doc.contents, schema, '', true);
    expect(uncommented).toEqual([]);
  });

  it.each(RENDER_CASES)('helm lint --strict passes with %s', (_name, values) => {
    const r = helm(['lint', '--strict', CHART, '--namespace', NAMESPACE, '-f', valuesFile(values)]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('0 chart(s) failed');
  });

  it.each(RENDER_CASES)('%s: renders, each object valid against its OpenAPI schema', (_name, values) => {
    const objects = template(values);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(() => validateSchema(o), `${o.kind}/${o.metadata.name}`).not.toThrow();
  });

  /** Each switch: what it adds or removes, against the default rendering. */
  type Check = (objects: K8sObject[]) => void;
  const SWITCHES: [name: string, values: Record<string, unknown>, check: Check, release?: [string, string]][] = [
    [
      'autoRollout off (default): no workload or Lease RBAC, no AUTO_ROLLOUT',
      {},
      (objects) => {
        expect(kinds(objects).filter((k) => /Role/.test(k))).toEqual([
          'ClusterRole/aigw-otel-injector',
          'ClusterRoleBinding/aigw-otel-injector',
        ]);
        expect(envNames(objects)).not.toContain('AUTO_ROLLOUT');
      },
    ],
    [
      'autoRollout on: its ClusterRole, Role for the Lease and bindings, AUTO_ROLLOUT and POD_NAMESPACE',
      { autoRollout: { enabled: true } },
      (objects) => {
        expect(kinds(objects).filter((k) => /Role/.test(k))).toEqual([
          'ClusterRole/aigw-otel-injector',
          'ClusterRole/aigw-otel-injector-auto-rollout',
          'ClusterRoleBinding/aigw-otel-injector',
          'ClusterRoleBinding/aigw-otel-injector-auto-rollout',
          'Role/aigw-otel-injector-leader-election',
          'RoleBinding/aigw-otel-injector-leader-election',
        ]);
        expect(envNames(objects)).toEqual(expect.arrayContaining(['AUTO_ROLLOUT', 'POD_NAMESPACE']));
        expect(envNames(objects), 'the Lease keeps the server default name').not.toContain('LEASE_NAME');
      },
    ],
    [
      'rbac.collectorCaPreflight off: no ConfigMap grant, the rest unchanged',
      { rbac: { collectorCaPreflight: false } },
      (objects) => expect(ruleResources(objects)).toEqual(['namespaces', 'events']),
    ],
    [
      'rbac.collectorCaPreflight on (default): ConfigMap get granted',
      {},
      (objects) => expect(ruleResources(objects)).toEqual(['namespaces', 'configmaps', 'events']),
    ],
    [
      'monitoring.serviceMonitor alone',
      { monitoring: { serviceMonitor: { enabled: true } } },
      (objects) => {
        expect(objects.filter((o) => /monitoring.coreos.com/.test(o.apiVersion)).map((o) => o.kind)).toEqual([
          'ServiceMonitor',
        ]);
        expect(objects.some((o) => o.kind === 'ConfigMap')).toBe(false);
      },
    ],
    [
      'monitoring.prometheusRule alone',
      { monitoring: { prometheusRule: { enabled: true } } },
      (objects) => {
        expect(objects.filter((o) => /monitoring.coreos.com/.test(o.apiVersion)).map((o) => o.kind)).toEqual([
          'PrometheusRule',
        ]);
        expect(objects.some((o) => o.kind === 'ConfigMap')).toBe(false);
      },
    ],
    [
      'monitoring.dashboard alone, in the namespace asked for',
      { monitoring: { dashboard: { enabled: true, namespace: 'grafana' } } },
      (objects) => {
        expect(objects.some((o) => /monitoring.coreos.com/.test(o.apiVersion))).toBe(false);
        const dashboard = find(objects, 'ConfigMap', 'aigw-otel-injector-dashboard');
        expect(dashboard.metadata.namespace).toBe('grafana');
        expect(dashboard.metadata.labels?.grafana_dashboard).toBe('1');
      },
    ],
    [
      'certificates from cert-manager with no issuer named: a self-signed Issuer, a Certificate, the CA injected, no Secret',
      { certificates: { source: 'certManager' } },
      (objects) => {
        expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
        const cert = find(objects, 'Certificate', 'aigw-otel-injector-tls');
        expect(cert.spec.issuerRef).toEqual({ kind: 'Issuer', name: 'aigw-otel-injector-selfsigned' });
        expect(find(objects, 'Issuer', 'aigw-otel-injector-selfsigned').spec).toEqual({ selfSigned: {} });
        expect(cert.spec.dnsNames).toContain(`aigw-otel-injector.${NAMESPACE}.svc`);
        for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
          const config = find(objects, kind);
          expect(config.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(
            `${NAMESPACE}/aigw-otel-injector-tls`,
          );
          expect(config.webhooks[0].clientConfig.caBundle).toBeUndefined();
        }
      },
    ],
    [
      'certificates from cert-manager with the user ClusterIssuer: no Issuer made, the Certificate names it',
      {
        certificates: { source: 'certManager', certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer' } } },
      },
      (objects) => {
        expect(objects.some((o) => o.kind === 'Issuer')).toBe(false);
        expect(find(objects, 'Certificate').spec.issuerRef).toEqual({
          kind: 'ClusterIssuer',
          name: 'corp-ca',
          group: 'cert-manager.io',
        });
      },
    ],
    [
      'certificates generated (default): both caBundles are the CA that signed the mounted certificate',
      {},
      (objects) => {
        const tls = find(objects, 'Secret', 'aigw-otel-injector-tls');
        const ca = find(objects, 'Secret', 'aigw-otel-injector-ca');
        expect(tls.data['ca.crt']).toBe(ca.data['ca.crt']);
        expect(Object.keys(tls.data).sort(), 'no CA key in the mounted Secret').toEqual([
          'ca.crt',
          'tls.crt',
          'tls.key',
        ]);
        for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
          expect(find(objects, kind).webhooks[0].clientConfig.caBundle).toBe(ca.data['ca.crt']);
        }
      },
    ],
    [
      'webhook values: failurePolicy, timeoutSeconds on both webhooks; extra excluded namespaces after the built-in ones',
      { webhook: { failurePolicy: 'Fail', timeoutSeconds: 12, excludeNamespaces: ['ci-runners', 'sandbox'] } },
      (objects) => {
        for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
          expect(find(objects, kind).webhooks[0]).toMatchObject({ failurePolicy: 'Fail', timeoutSeconds: 12 });
        }
        expect(
          find(objects, 'MutatingWebhookConfiguration').webhooks[0].namespaceSelector.matchExpressions[0].values,
        ).toEqual(['kube-system', 'kube-public', 'kube-node-lease', NAMESPACE, 'ci-runners', 'sandbox']);
      },
    ],
    [
      'one replica: no PodDisruptionBudget (it would block every drain)',
      { replicas: 1 },
      (objects) => expect(objects.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false),
    ],
    [
      'image digest: pulled by digest',
      { image: { digest: `sha256:${'0'.repeat(64)}` } },
      (objects) => expect(container(objects).image).toBe(`aigw-otel-injector:0.1.0@sha256:${'0'.repeat(64)}`),
    ],
    [
      'a release of another name: every object, the ServiceAccount subject, the Service reference, the Lease follow it',
      { autoRollout: { enabled: true } },
      (objects) => {
        for (const o of objects) expect(o.metadata.name).toMatch(/^injector-aigw-otel-injector/);
        expect(find(objects, 'ClusterRoleBinding', 'injector-aigw-otel-injector').subjects).toEqual([
          { kind: 'ServiceAccount', name: 'injector-aigw-otel-injector', namespace: 'platform' },
        ]);
        expect(find(objects, 'MutatingWebhookConfiguration').webhooks[0].clientConfig.service).toMatchObject({
          name: 'injector-aigw-otel-injector',
          namespace: 'platform',
        });
        const lease = (container(objects).env as { name: string; value?: string }[]).find(
          (e) => e.name === 'LEASE_NAME',
        );
        expect(lease?.value).toBe('injector-aigw-otel-injector');
        const role = find(objects, 'Role');
        expect(role.rules[1].resourceNames).toEqual(['injector-aigw-otel-injector']);
      },
      ['injector', 'platform'],
    ],
  ];

  it.each(SWITCHES)('%s', (_name, values, check, release) => {
    check(release ? template(values, ...release) : template(values));
  });

  /** Bad values: refused before anything renders, with the value's path in helm's message. */
  const REFUSED: [kind: string, values: Record<string, unknown>, message: RegExp][] = [
    ['wrong type: replicas "two"', { replicas: 'two' }, /at '\/replicas': got string, want integer/],
    [
      'wrong type, nested: rbac.collectorCaPreflight "no"',
      { rbac: { collectorCaPreflight: 'no' } },
      /at '\/rbac\/collectorCaPreflight': got string, want boolean/,
    ],
    ['unknown key at the top: replica', { replica: 3 }, /at '': additional properties 'replica' not allowed/],
    [
      'unknown key, nested: image.tagg',
      { image: { tagg: '1' } },
      /at '\/image': additional properties 'tagg' not allowed/,
    ],
    [
      'enum value outside its set: webhook.failurePolicy Sometimes',
      { webhook: { failurePolicy: 'Sometimes' } },
      /at '\/webhook\/failurePolicy': value must be one of 'Ignore', 'Fail'/,
    ],
    [
      'enum value outside its set: certificates.source vault',
      { certificates: { source: 'vault' } },
      /at '\/certificates\/source': value must be one of 'generate', 'certManager'/,
    ],
    ['enum value outside its set: logLevel verbose', { logLevel: 'verbose' }, /at '\/logLevel': value must be one of/],
    [
      'out of range: webhook.timeoutSeconds 31 (the API server allows 1 to 30)',
      { webhook: { timeoutSeconds: 31 } },
      /at '\/webhook\/timeoutSeconds': maximum: got 31, want 30/,
    ],
    [
      'a pod securityContext without fsGroup (the process could not read its 0440 files)',
      { podSecurityContext: { fsGroup: null } },
      /at '\/podSecurityContext': missing property 'fsGroup'/,
    ],
  ];

  it.each(REFUSED)('the schema refuses %s, naming the value', (_kind, values, message) => {
    for (const command of [
      ['template', 'x', CHART],
      ['lint', '--strict', CHART],
    ]) {
      const r = helm([...command, '-f', valuesFile(values)]);
      expect(r.status, command[0]).not.toBe(0);
      expect(r.stdout + r.stderr, command[0]).toMatch(message);
    }
  });
});
