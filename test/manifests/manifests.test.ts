import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATHS } from '../../src/http/webhook-app.js';
import { kubeApi } from '../../src/kube/api.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';
import { find, manifestsWithCerts, render, type K8sObject } from './render.js';
import { validateSchema } from './schema.js';

// Renders with the built kubectl (test/real/build.sh): under CI=true a missing one fails the run, elsewhere one line says how to build it.
const hasKubectl = haveRealParts('kubectl');

const NS = 'aigw-otel-injector';
const overlays = hasKubectl
  ? (() => {
      const { root, caPem } = manifestsWithCerts();
      // The opt-in component added to an overlay with one line, as the README says.
      const withRollout = join(root, 'manifests/overlays/cert-manager-auto-rollout');
      mkdirSync(withRollout);
      writeFileSync(
        join(withRollout, 'kustomization.yaml'),
        'resources:\n  - ../cert-manager\ncomponents:\n  - ../../components/auto-rollout\n',
      );
      return {
        'cert-manager': { objects: render('manifests/overlays/cert-manager'), caPem },
        'static-certs': { objects: render(join(root, 'manifests/overlays/static-certs')), caPem },
        'cert-manager + auto-rollout': { objects: render(withRollout), caPem },
      };
    })()
  : undefined;
const each = Object.entries(overlays ?? {}).map(([name, o]) => [name, o.objects] as const);

describe.skipIf(!hasKubectl)('manifests, rendered offline by kubectl kustomize', () => {
  describe.each(each)('%s overlay', (_overlay, objects: K8sObject[]) => {
    it.each(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]))(
      '%s is valid against its OpenAPI schema',
      (_n, o) => {
        expect(() => validateSchema(o)).not.toThrow();
      },
    );

    it('Service → container ports: 443 reaches the webhook port, every targetPort exists', () => {
      const service = find(objects, 'Service', 'aigw-otel-injector');
      const container = find(objects, 'Deployment').spec.template.spec.containers[0];
      const ports = new Map<string, number>(container.ports.map((p: any) => [p.name, p.containerPort]));
      for (const p of service.spec.ports) expect(ports.has(p.targetPort), `targetPort ${p.targetPort}`).toBe(true);
      const https = service.spec.ports.find((p: any) => p.port === 443);
      expect(ports.get(https.targetPort)).toBe(8443);
      const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
      expect(Number(env.PORT)).toBe(8443);
      expect(Number(env.ADMIN_PORT)).toBe(ports.get('admin'));
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
        expect(container[probe].httpGet.port).toBe('admin');
      expect(service.spec.selector).toEqual(find(objects, 'Deployment').spec.selector.matchLabels);
    });

    it('webhooks point at the Service, its namespace, port 443 and routes the server has', () => {
      const service = find(objects, 'Service', 'aigw-otel-injector');
      const configs = [find(objects, 'MutatingWebhookConfiguration'), find(objects, 'ValidatingWebhookConfiguration')];
      const paths = configs.flatMap((c) => c.webhooks.map((w: any) => w.clientConfig.service));
      for (const s of paths) {
        expect(s.name).toBe(service.metadata.name);
        expect(s.namespace).toBe(service.metadata.namespace);
        expect(s.port).toBe(443);
      }
      expect(paths.map((s) => s.path).sort()).toEqual(Object.values(PATHS).sort());
    });

    it('the mutating webhook: pods CREATE, Ignore, no side effects, 5 s, reinvoked if needed, v1 and v1beta1', () => {
      const [hook] = find(objects, 'MutatingWebhookConfiguration').webhooks;
      expect(hook).toMatchObject({
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        failurePolicy: 'Ignore',
        sideEffects: 'None',
        timeoutSeconds: 5,
        reinvocationPolicy: 'IfNeeded',
        admissionReviewVersions: ['v1', 'v1beta1'],
      });
      expect(hook.namespaceSelector.matchExpressions).toEqual([
        {
          key: 'kubernetes.io/metadata.name',
          operator: 'NotIn',
          values: ['kube-system', 'kube-public', 'kube-node-lease', NS],
        },
      ]);
      expect(hook.matchConditions).toHaveLength(1);
      const [validating] = find(objects, 'ValidatingWebhookConfiguration').webhooks;
      expect(validating.rules[0]).toMatchObject({ operations: ['CREATE', 'UPDATE'], resources: ['namespaces'] });
      expect(validating.matchConditions[0].expression).toContain("startsWith('aigw-otel.io/')");
    });

    it('the Deployment: 2 replicas spread over nodes, a PDB, non-root read-only, no capabilities, limits, a scoped token', () => {
      const deployment = find(objects, 'Deployment');
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      expect(deployment.spec.replicas).toBe(2);
      expect(pod.topologySpreadConstraints[0].topologyKey).toBe('kubernetes.io/hostname');
      expect(find(objects, 'PodDisruptionBudget').spec).toMatchObject({
        minAvailable: 1,
        selector: deployment.spec.selector,
      });
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(container.resources.requests).toBeDefined();
      expect(container.resources.limits.memory).toBeDefined();
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(find(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
      const token = pod.volumes
        .find((v: any) => v.projected)
        ?.projected.sources.find((s: any) => s.serviceAccountToken);
      expect(token.serviceAccountToken.expirationSeconds).toBeLessThanOrEqual(3600);
    });

    it('the TLS volume names the Secret the overlay provides', () => {
      const secretName = find(objects, 'Deployment').spec.template.spec.volumes.find((v: any) => v.name === 'tls')
        .secret.secretName;
      const provided =
        objects.some((o) => o.kind === 'Secret' && o.metadata.name === secretName) ||
        objects.some(
          (o) => o.kind === 'Certificate' && o.spec.secretName === secretName && o.metadata.namespace === NS,
        );
      expect(provided).toBe(true);
    });
  });

  it('static-certs: both caBundles are the generated CA', () => {
    const { objects, caPem } = overlays?.['static-certs'] ?? { objects: [], caPem: '' };
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const bundle: string = find(objects, kind).webhooks[0].clientConfig.caBundle;
      expect(Buffer.from(bundle.replace(/\s/g, ''), 'base64').toString()).toBe(caPem);
    }
  });

  it('cert-manager: both configurations get their CA injected from the Certificate', () => {
    const { objects } = overlays?.['cert-manager'] ?? { objects: [] };
    const cert = find(objects, 'Certificate');
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      expect(find(objects, kind).metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(
        `${cert.metadata.namespace}/${cert.metadata.name}`,
      );
    }
    const service = find(objects, 'Service');
    const host = `${service.metadata.name}.${service.metadata.namespace}.svc`;
    expect(cert.spec.dnsNames).toContain(host);
    expect(find(objects, 'Issuer', cert.spec.issuerRef.name)).toBeDefined();
  });

  /** The API calls the code makes, as group/resource:verb; `rollout` adds those only auto-rollout makes. */
  async function callsMade(rollout: boolean): Promise<Set<string>> {
    const stand = await new StandInApiServer().start();
    stand.setNamespace('x');
    const kinds = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
    for (const kind of kinds) stand.setWorkload(kind, 'x', 'aigw', { metadata: {}, spec: { containers: [] } });
    const api = kubeApi(stand.kubeConfig());
    expect(Object.keys(api)).toHaveLength(13);
    // Every method of the API adapter, once: the requests it makes are the code's API calls.
    await api.listNamespaces({ limit: 10, timeoutMs: 1000 });
    const end = await api.watchNamespaces(
      '1',
      5,
      () => undefined,
      () => undefined,
    );
    await api.getNamespace('x', 1000);
    await api.getConfigMapKeys('x', 'collector-ca', 1000);
    await api.getConfigMapValue('x', 'collector-ca', 'ca.crt', 1000);
    const event = {
      name: 'e',
      namespace: 'x',
      involvedObject: { kind: 'Namespace', name: 'x' },
      reason: 'R',
      message: 'm',
      count: 1,
      time: new Date().toISOString(),
    };
    await api.createEvent(event);
    await api.patchEventCount('x', 'e', 2, event.time);
    if (rollout) {
      await api.listWorkloads('x', 1000);
      await api.listPods('x', 1000);
      for (const kind of kinds)
        await api.patchTemplateAnnotations({ kind, name: 'aigw', namespace: 'x' }, { a: 'b' }, 1000);
      const record = {
        holder: 'me',
        durationSeconds: 15,
        transitions: 0,
        acquireTime: new Date(),
        renewTime: new Date(),
      };
      const version = await api.createLease(NS, 'aigw-otel-injector', record, 1000);
      await api.getLease(NS, 'aigw-otel-injector', 1000);
      await api.updateLease(NS, 'aigw-otel-injector', record, version, 1000);
    }
    end();
    await stand.stop();
    return new Set(
      stand.requests.map(({ method, path, query }) => {
        const parts = path.split('/').filter(Boolean);
        const [group, rest] = parts[0] === 'api' ? ['', parts.slice(2)] : [parts[1] ?? '', parts.slice(3)];
        const resource = rest.length > 2 ? rest[2] : rest[0];
        const named = rest.length === 2 || rest.length === 4;
        const verb =
          { POST: 'create', PATCH: 'patch', PUT: 'update' }[method] ??
          (query.get('watch') === 'true' ? 'watch' : named ? 'get' : 'list');
        return `${group}/${resource}:${verb}`;
      }),
    );
  }

  type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
  const grants = (rules: Rule[]) =>
    rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))),
    );
  const envOf = (objects: K8sObject[]) =>
    find(objects, 'Deployment').spec.template.spec.containers[0].env as { name: string; valueFrom?: unknown }[];

  it('without auto-rollout: the ClusterRole grants exactly the calls the code makes, no workloads, no Lease', async () => {
    const { objects } = overlays?.['cert-manager'] ?? { objects: [] };
    const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
    expect(roles.map((r) => r.metadata.name)).toEqual(['aigw-otel-injector']);
    const granted = grants(find(objects, 'ClusterRole').rules as Rule[]);
    expect(new Set(granted).size, 'no grant twice').toBe(granted.length);
    expect([...granted].sort()).toEqual([...(await callsMade(false))].sort());
    expect(envOf(objects).map((e) => e.name)).not.toContain('AUTO_ROLLOUT');
  });

  it('the auto-rollout component adds exactly what auto-rollout calls, leases only in its namespace', async () => {
    const { objects } = overlays?.['cert-manager + auto-rollout'] ?? { objects: [] };
    const clusterRules = objects.filter((o) => o.kind === 'ClusterRole').flatMap((r) => r.rules as Rule[]);
    const role = find(objects, 'Role');
    expect(role.metadata.namespace, 'leases only in the injector namespace').toBe(NS);
    expect(clusterRules.flatMap((r) => r.apiGroups)).not.toContain('coordination.k8s.io');
    const granted = [...grants(clusterRules), ...grants(role.rules as Rule[])];
    expect(new Set(granted).size, 'no grant twice').toBe(granted.length);
    expect([...granted].sort()).toEqual([...(await callsMade(true))].sort());
    // get and update name the one Lease; create cannot be narrowed by name.
    for (const rule of role.rules as Rule[]) {
      if (!rule.verbs.includes('create')) expect(rule.resourceNames).toEqual(['aigw-otel-injector']);
    }
    const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
    expect(bindings).toHaveLength(3);
    for (const binding of bindings) {
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'aigw-otel-injector', namespace: NS }]);
    }
    expect(find(objects, 'RoleBinding').roleRef.name).toBe(role.metadata.name);
    const env = envOf(objects);
    expect(env.find((e) => e.name === 'AUTO_ROLLOUT')).toEqual({ name: 'AUTO_ROLLOUT', value: 'true' });
    expect(env.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom).toEqual({
      fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
    });
  });
});
