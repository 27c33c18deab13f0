/**
 * The decision itself, in the pure core: for each case its reason, roles, the keys and kinds of its problems and
 * what was kept. The HTTPS table (test/cases/injection-cases.ts) checks the patched pods; this one checks the why.
 */
import { describe, expect, it } from 'vitest';
import { decide, prepare, type ClusterFacts } from '../../src/core/inject.js';
import type { Pod } from '../../src/core/pod.js';
import { container, CORE_IMAGE, corePod, otherPod, pod, PROCESSOR_IMAGE, processorPod } from '../fixtures/pods.js';

const a = (key: string) => `aigw-otel.io/${key}`;
const ns = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [a(k), v]));
const ENDPOINT = { endpoint: 'https://collector:4317' };
const CA = { ...ENDPOINT, 'ca-configmap': 'collector-ca' };

interface Row {
  namespace?: Record<string, string>;
  pod: unknown;
  facts?: ClusterFacts;
  reason: string;
  roles?: string[];
  /** `key kind` of each problem, in order (kind `-` for a bad annotation). */
  problems?: string[];
  kept?: string[];
  /** Some env values of the first container afterwards. */
  env?: Record<string, string>;
}

const both = () =>
  pod({
    containers: [
      container({ name: 'aigw', image: CORE_IMAGE }),
      container({ name: 'processor', image: PROCESSOR_IMAGE }),
    ],
  });
const withEnvFrom = (): Pod => {
  const p = corePod();
  const [c] = p.spec.containers;
  if (c) c.envFrom = [{ configMapRef: { name: 'settings' } }];
  return p;
};

describe('decisions and their reasons', () => {
  it.each<[string, Row]>([
    ['not an object', { namespace: ENDPOINT, pod: 'pod', reason: 'malformed-pod', problems: ['pod -'] }],
    ['no AI Gateway container', { namespace: ENDPOINT, pod: otherPod(), reason: 'not-an-ai-gateway-pod' }],
    ['a namespace without annotations', { pod: corePod(), reason: 'namespace-not-annotated', roles: ['core'] }],
    [
      'only annotations of others',
      {
        namespace: {},
        pod: corePod({ annotations: { team: 'a' } }),
        reason: 'namespace-not-annotated',
        roles: ['core'],
      },
    ],
    [
      'annotated with nothing to inject',
      { namespace: { override: 'true' }, pod: corePod(), reason: 'nothing-configured', roles: ['core'] },
    ],
    [
      'Kubernetes attributes on their own',
      { namespace: { 'k8s-attributes': 'true' }, pod: corePod(), reason: 'nothing-configured', roles: ['core'] },
    ],
    [
      'only a pod annotation, configuring nothing',
      { pod: corePod({ annotations: { [a('inject')]: 'true' } }), reason: 'nothing-configured', roles: ['core'] },
    ],
    [
      'only a pod annotation configures',
      {
        pod: corePod({ annotations: { [a('endpoint')]: 'https://collector:4317' } }),
        reason: 'injected',
        roles: ['core'],
      },
    ],
    [
      'injection switched off',
      { namespace: { ...ENDPOINT, inject: 'false' }, pod: corePod(), reason: 'injection-disabled', roles: ['core'] },
    ],
    [
      'switched off by the pod',
      {
        namespace: ENDPOINT,
        pod: corePod({ annotations: { [a('inject')]: 'false' } }),
        reason: 'injection-disabled',
        roles: ['core'],
      },
    ],
    ['a core pod', { namespace: ENDPOINT, pod: corePod(), reason: 'injected', roles: ['core'] }],
    ['a processor pod', { namespace: ENDPOINT, pod: processorPod(), reason: 'injected', roles: ['processor'] }],
    [
      'core and processor in one pod',
      { namespace: ENDPOINT, pod: both(), reason: 'injected', roles: ['core', 'processor'] },
    ],
    [
      'metrics-only settings on a pod of both: the core still configured',
      {
        namespace: { 'metrics-endpoint': 'https://collector:4317' },
        pod: both(),
        reason: 'injected',
        roles: ['core', 'processor'],
      },
    ],
    [
      'metrics-only settings on a processor: nothing for it',
      {
        namespace: { 'metrics-endpoint': 'https://collector:4317', 'k8s-attributes': 'false' },
        pod: processorPod(),
        reason: 'nothing-configured',
        roles: ['processor'],
      },
    ],
    [
      'a non-gRPC protocol on a core-only pod: nothing for it, and the reason why',
      {
        namespace: { ...ENDPOINT, protocol: 'http/protobuf' },
        pod: corePod(),
        reason: 'nothing-configured',
        roles: ['core'],
        problems: [`${a('protocol')} protocol-not-for-core`],
      },
    ],
    [
      'a non-gRPC protocol on a processor: no problem',
      {
        namespace: { ...ENDPOINT, protocol: 'http/protobuf' },
        pod: processorPod(),
        reason: 'injected',
        roles: ['processor'],
      },
    ],
    [
      'an explicit grpc with the endpoint shorthand: the address as written for both signals',
      {
        namespace: { ...ENDPOINT, protocol: 'grpc' },
        pod: corePod(),
        reason: 'injected',
        roles: ['core'],
        env: {
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector:4317',
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://collector:4317',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        },
      },
    ],
    [
      'a non-gRPC protocol with only a tracing endpoint: the core is told',
      {
        namespace: { 'tracing-endpoint': 'https://collector:4318', protocol: 'http/protobuf' },
        pod: corePod(),
        reason: 'nothing-configured',
        roles: ['core'],
        problems: [`${a('protocol')} protocol-not-for-core`],
      },
    ],
    [
      'a non-gRPC protocol with only a metrics endpoint: the core is told',
      {
        namespace: { 'metrics-endpoint': 'https://collector:4318', protocol: 'http/protobuf' },
        pod: corePod(),
        reason: 'nothing-configured',
        roles: ['core'],
        problems: [`${a('protocol')} protocol-not-for-core`],
      },
    ],
    [
      'a non-gRPC protocol without any endpoint: nothing to say',
      {
        namespace: { protocol: 'http/protobuf', compression: 'gzip' },
        pod: processorPod(),
        reason: 'injected',
        roles: ['processor'],
        env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' },
      },
    ],
    [
      'a container with envFrom',
      {
        namespace: ENDPOINT,
        pod: withEnvFrom(),
        reason: 'injected',
        roles: ['core'],
        problems: ['container aigw env-from'],
      },
    ],
    [
      'a downward variable defined after the list',
      {
        namespace: ENDPOINT,
        pod: corePod({
          env: [
            { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'team=a' },
            {
              name: 'OTEL_RESOURCE_ATTRIBUTES_POD_NAME',
              valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
            },
          ],
        }),
        reason: 'injected',
        roles: ['core'],
        problems: ['container aigw attribute-left-out'],
      },
    ],
    [
      'a variable the pod sets itself is kept',
      {
        namespace: ENDPOINT,
        pod: corePod({ env: [{ name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', value: 'https://mine:4317' }] }),
        reason: 'injected',
        roles: ['core'],
        kept: ['aigw/OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
      },
    ],
    [
      'the CA ConfigMap is missing',
      {
        namespace: CA,
        pod: corePod(),
        facts: { caStatus: 'missing-configmap' },
        reason: 'injected',
        roles: ['core'],
        problems: [`${a('ca-configmap')} ca-missing`],
      },
    ],
    [
      'the CA key is missing',
      {
        namespace: CA,
        pod: corePod(),
        facts: { caStatus: 'missing-key' },
        reason: 'injected',
        roles: ['core'],
        problems: [`${a('ca-configmap')} ca-missing`],
      },
    ],
    [
      'the CA path taken',
      {
        namespace: CA,
        pod: corePod({ mounts: [{ name: 'certs', mountPath: '/etc/collector' }] }),
        reason: 'injected',
        roles: ['core'],
        problems: [`${a('ca-configmap')} ca-conflict`],
      },
    ],
    [
      'the client certificate at the CA path',
      {
        namespace: { ...CA, 'client-cert-secret': 'tls', 'client-cert-mount-path': '/etc/collector' },
        pod: corePod(),
        reason: 'injected',
        roles: ['core'],
        problems: [`${a('client-cert-secret')} -`],
      },
    ],
    [
      'the client certificate inside the CA path',
      {
        namespace: { ...CA, 'client-cert-secret': 'tls', 'client-cert-mount-path': '/etc/collector/client' },
        pod: corePod(),
        reason: 'injected',
        roles: ['core'],
        problems: [`${a('client-cert-secret')} -`],
      },
    ],
    [
      'the CA inside the client certificate path',
      {
        namespace: { ...CA, 'client-cert-secret': 'tls', 'ca-mount-path': '/etc/collector-client/ca' },
        pod: corePod(),
        reason: 'injected',
        roles: ['core'],
        problems: [`${a('client-cert-secret')} -`],
      },
    ],
    [
      'a client certificate path that only starts like the CA one',
      {
        namespace: { ...CA, 'client-cert-secret': 'tls', 'client-cert-mount-path': '/etc/collector2' },
        pod: corePod(),
        reason: 'injected',
        roles: ['core'],
      },
    ],
    [
      'a bad namespace value the pod corrects: no problem',
      {
        namespace: { ...ENDPOINT, 'metric-export-interval': 'soon' },
        pod: corePod({ annotations: { [a('metric-export-interval')]: '10s' } }),
        reason: 'injected',
        roles: ['core'],
      },
    ],
    [
      'a bad pod value over a good namespace one',
      {
        namespace: { ...ENDPOINT, 'metric-export-interval': '10s' },
        pod: corePod({ annotations: { [a('metric-export-interval')]: 'soon' } }),
        reason: 'injected',
        roles: ['core'],
        problems: [`${a('metric-export-interval')} -`],
      },
    ],
    [
      'a pod-only key on the namespace',
      {
        namespace: { ...ENDPOINT, 'container-names': 'aigw' },
        pod: corePod(),
        reason: 'injected',
        roles: ['core'],
        problems: [`${a('container-names')} -`],
      },
    ],
    [
      'a sampler argument for a sampler that takes none',
      {
        namespace: { ...ENDPOINT, 'traces-sampler': 'always_on', 'traces-sampler-arg': '0.5' },
        pod: corePod(),
        reason: 'injected',
        roles: ['core'],
        problems: [`${a('traces-sampler-arg')} -`],
      },
    ],
  ])('%s', (_name, row) => {
    const decision = decide(row.namespace && ns(row.namespace), row.pod, row.facts);
    expect(decision.reason).toBe(row.reason);
    expect(decision.roles).toEqual(row.roles ?? []);
    expect(decision.problems.map((p) => `${p.key} ${p.kind ?? '-'}`)).toEqual(row.problems ?? []);
    expect(decision.inject ? decision.kept : []).toEqual(row.kept ?? []);
    if (row.env !== undefined) {
      const env = decision.inject ? (decision.pod.spec.containers[0]?.env ?? []) : [];
      const values = Object.fromEntries(env.map((e) => [e.name, e.value]));
      for (const [name, value] of Object.entries(row.env)) expect(values[name], name).toBe(value);
    }
    if (decision.inject) {
      const again = decide(row.namespace && ns(row.namespace), decision.pod, row.facts);
      expect(again.reason, 'deciding on its own output').toBe('already-configured');
    }
  });

  it('warns of envFrom once: not again on the pod it already configured', () => {
    const first = decide(ns(ENDPOINT), withEnvFrom());
    expect(first.problems.map((p) => p.kind)).toEqual(['env-from']);
    const again = first.inject ? decide(ns(ENDPOINT), first.pod) : first;
    expect(again.reason).toBe('already-configured');
    expect(again.problems).toEqual([]);
  });

  it('adds back a CA volume the pod lost, its containers already configured', () => {
    const first = decide(ns(CA), corePod());
    if (!first.inject) throw new Error('not injected');
    const lost = { ...first.pod, spec: { ...first.pod.spec, volumes: [] } };
    const again = decide(ns(CA), lost);
    expect(again.reason).toBe('injected');
    expect(again.inject && again.pod.spec.volumes?.map((v) => v.name)).toEqual(['collector-ca-volume']);
  });

  it('writes no volumes key into a pod that had none and needs none', () => {
    const p = corePod();
    delete p.spec.volumes;
    const d = decide(ns(ENDPOINT), p);
    expect(d.inject && Object.keys(d.pod.spec)).not.toContain('volumes');
  });

  it('a mounted CA comes out only when the cluster has it', () => {
    const volumes = (facts: ClusterFacts) => {
      const d = decide(ns(CA), corePod(), facts);
      return d.inject ? (d.pod.spec.volumes ?? []).map((v) => v.name) : [];
    };
    expect(volumes({ caStatus: 'present' })).toContain('collector-ca-volume');
    expect(volumes({ caStatus: 'unchecked' })).toContain('collector-ca-volume');
    expect(volumes({ caStatus: 'missing-key' })).not.toContain('collector-ca-volume');
  });

  it.each([
    ['a CA to check', CA, corePod(), { configMap: 'collector-ca', key: 'ca.crt', mountPath: '/etc/collector' }],
    ['no CA annotation', ENDPOINT, corePod(), undefined],
    ['not an AI Gateway pod', CA, otherPod(), undefined],
    ['injection off', { ...CA, inject: 'false' }, corePod(), undefined],
  ])('prepare names %s', (_name, annotations, p, ca) => {
    expect(prepare(ns(annotations), p).ca).toEqual(ca);
  });
});
