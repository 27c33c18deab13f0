/**
 * The annotation contract as a table: each case is a namespace's annotations, a pod, and what the pod
 * must look like after the webhook's patch. Run over real HTTPS by test/http/injection.test.ts.
 */
import type { Pod } from '../../src/core/pod.js';
import {
  container,
  CORE_IMAGE,
  corePod,
  ISTIO_IMAGE,
  otherPod,
  pod,
  PROCESSOR_IMAGE,
  processorPod,
} from '../fixtures/pods.js';

export const a = (key: string) => `aigw-otel.io/${key}`;

const ENDPOINT = 'https://otel-collector-opentelemetry-collector:4317';
const TRACES = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
const METRICS = 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT';
const TRACES_CA = 'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE';
const METRICS_CA = 'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE';
const INTERVAL = 'OTEL_METRIC_EXPORT_INTERVAL';
const SAMPLER = 'OTEL_TRACES_SAMPLER';
const SAMPLER_ARG = 'OTEL_TRACES_SAMPLER_ARG';
const PROTOCOL = 'OTEL_EXPORTER_OTLP_PROTOCOL';
const COMPRESSION = 'OTEL_EXPORTER_OTLP_COMPRESSION';
const TIMEOUT = 'OTEL_EXPORTER_OTLP_TIMEOUT';
const HEADERS = 'OTEL_EXPORTER_OTLP_HEADERS';
const NODE_IP = 'OTEL_NODE_IP';
const ON_NODE = 'https://$(OTEL_NODE_IP):4317';
const HOST_IP_REF = { fieldRef: { apiVersion: 'v1', fieldPath: 'status.hostIP' } };
const secretRef = (name: string, key: string) => ({ secretKeyRef: { name, key, optional: true } });
const clientEnv = (path: string, metrics: boolean) => ({
  OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: `${path}/tls.crt`,
  OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: `${path}/tls.key`,
  ...(metrics
    ? {
        OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: `${path}/tls.crt`,
        OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: `${path}/tls.key`,
      }
    : {}),
});

export interface InjectionCase {
  name: string;
  /** Namespace annotations, without the prefix. */
  namespace: Record<string, string>;
  pod: Pod;
  /** Exact OTEL_* env of each listed container afterwards (other env is checked unchanged). */
  otel?: Record<string, Record<string, string>>;
  /** OTEL_RESOURCE_ATTRIBUTES per container as key → value, downward-API references shown as `<fieldPath>`; null: absent. */
  resource?: Record<string, Record<string, string> | null>;
  /** The env var names of listed containers afterwards, in order. */
  envOrder?: Record<string, string[]>;
  /** The exact valueFrom of listed env vars afterwards, per container. */
  valueFrom?: Record<string, Record<string, unknown>>;
  /** ConfigMap behind collector-ca-volume afterwards, or null for no such volume. */
  caVolume?: string | null;
  /** Secret behind collector-client-cert-volume afterwards, or null for no such volume. */
  clientCert?: string | null;
  /** Where each listed container mounts collector-client-cert-volume afterwards, or null for nowhere. */
  clientCertMount?: Record<string, string | null>;
  /** Where each listed container mounts collector-ca-volume afterwards, or null for nowhere. */
  caMount?: Record<string, string | null>;
  /** Each pattern must match one warning, and there are exactly this many warnings. */
  warnings?: RegExp[];
  /** The pod annotations `injected` and `kept-env` afterwards (undefined: absent). */
  injected?: string;
  kept?: string;
  /** Containers (regular or init) that must come out byte-identical. */
  untouched?: string[];
  patched: boolean;
}

/** The Kubernetes attributes of the core fixture pod, `{namespace}` standing for the case's namespace. */
const K8S_CORE: Record<string, string> = {
  'k8s.namespace.name': '{namespace}',
  'k8s.pod.name': '<metadata.name>',
  'k8s.pod.uid': '<metadata.uid>',
  'k8s.node.name': '<spec.nodeName>',
  'k8s.container.name': 'aigw',
  'k8s.deployment.name': 'aigw',
};

/** K8S_CORE with another workload attribute, or none. */
function workload(key: string | undefined, name: string): Record<string, string> {
  const { 'k8s.deployment.name': _deployment, ...rest } = K8S_CORE;
  return key === undefined ? rest : { ...rest, [key]: name };
}

/** The pod owned by another controller (no pod-template-hash label), or by none. */
function ownedBy(p: Pod, kind: string | undefined, name: string): Pod {
  const { 'pod-template-hash': _hash, ...labels } = p.metadata?.labels ?? {};
  const owner = { apiVersion: 'apps/v1', kind, name, uid: '0b6e5f1c-3d2a-4c8b-9e7f-1a2b3c4d5e6f', controller: true };
  return {
    ...p,
    metadata: { ...p.metadata, generateName: `${name}-`, labels, ownerReferences: kind === undefined ? [] : [owner] },
  };
}

const fullCa = { [TRACES_CA]: '/etc/collector/ca.crt', [METRICS_CA]: '/etc/collector/ca.crt' };

export const CASES: InjectionCase[] = [
  // --- every row of the annotation table, core and processor ---
  {
    name: 'endpoint: both signals on the core',
    namespace: { endpoint: ENDPOINT },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    caVolume: null,
    injected: 'core',
    patched: true,
  },
  {
    name: 'endpoint: traces only on a processor; sidecar and init container untouched',
    namespace: { endpoint: ENDPOINT },
    pod: processorPod(),
    otel: { processor: { [TRACES]: ENDPOINT }, 'istio-proxy': {} },
    untouched: ['istio-proxy', 'istio-init'],
    injected: 'processor',
    patched: true,
  },
  {
    name: 'tracing-endpoint and metrics-endpoint win over endpoint',
    namespace: { endpoint: ENDPOINT, 'tracing-endpoint': 'http://tempo:4317', 'metrics-endpoint': 'http://mimir:4317' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: 'http://tempo:4317', [METRICS]: 'http://mimir:4317' } },
    patched: true,
  },
  {
    name: 'tracing-endpoint alone: traces only',
    namespace: { 'tracing-endpoint': 'http://tempo:4317' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: 'http://tempo:4317' } },
    patched: true,
  },
  {
    name: 'metrics-endpoint alone on a processor: nothing to inject, no patch',
    namespace: { 'metrics-endpoint': 'http://mimir:4317' },
    pod: processorPod(),
    otel: { processor: {} },
    patched: false,
  },
  {
    name: 'ca-configmap: volume, read-only mount and both certificate vars on the core',
    namespace: { 'ca-configmap': 'collector-ca' },
    pod: corePod(),
    otel: { aigw: fullCa },
    caVolume: 'collector-ca',
    caMount: { aigw: '/etc/collector' },
    patched: true,
  },
  {
    name: 'ca-configmap on a processor: volume, mount, traces certificate only; sidecar not mounted',
    namespace: { 'ca-configmap': 'collector-ca' },
    pod: processorPod(),
    otel: { processor: { [TRACES_CA]: '/etc/collector/ca.crt' } },
    caVolume: 'collector-ca',
    caMount: { processor: '/etc/collector', 'istio-proxy': null },
    untouched: ['istio-proxy', 'istio-init'],
    patched: true,
  },
  {
    name: 'ca-key and ca-mount-path change the certificate path and the mount',
    namespace: { 'ca-configmap': 'otel-ca', 'ca-key': 'root.pem', 'ca-mount-path': '/var/run/otel' },
    pod: corePod(),
    otel: { aigw: { [TRACES_CA]: '/var/run/otel/root.pem', [METRICS_CA]: '/var/run/otel/root.pem' } },
    caVolume: 'otel-ca',
    caMount: { aigw: '/var/run/otel' },
    patched: true,
  },
  {
    name: 'ca-key and ca-mount-path without ca-configmap do nothing',
    namespace: { 'ca-key': 'root.pem', 'ca-mount-path': '/var/run/otel' },
    pod: corePod(),
    caVolume: null,
    patched: false,
  },
  {
    name: 'metric-export-interval as a duration is converted to milliseconds',
    namespace: { 'metric-export-interval': '1m30s' },
    pod: corePod(),
    otel: { aigw: { [INTERVAL]: '90000' } },
    patched: true,
  },
  {
    name: 'metric-export-interval in whole milliseconds',
    namespace: { 'metric-export-interval': '10000' },
    pod: corePod(),
    otel: { aigw: { [INTERVAL]: '10000' } },
    patched: true,
  },
  {
    name: 'metric-export-interval on a processor: nothing',
    namespace: { 'metric-export-interval': '10s' },
    pod: processorPod(),
    otel: { processor: {} },
    patched: false,
  },
  {
    name: 'traces-sampler and its ratio on the core',
    namespace: { 'traces-sampler': 'parentbased_traceidratio', 'traces-sampler-arg': '0.25' },
    pod: corePod(),
    otel: { aigw: { [SAMPLER]: 'parentbased_traceidratio', [SAMPLER_ARG]: '0.25' } },
    patched: true,
  },
  {
    name: 'traces-sampler and its ratio on a processor',
    namespace: { 'traces-sampler': 'traceidratio', 'traces-sampler-arg': '1' },
    pod: processorPod(),
    otel: { processor: { [SAMPLER]: 'traceidratio', [SAMPLER_ARG]: '1' } },
    patched: true,
  },
  {
    name: 'traces-sampler-arg alone (the sampler set through Helm values)',
    namespace: { 'traces-sampler-arg': '0.5' },
    pod: corePod({ env: [{ name: SAMPLER, value: 'traceidratio' }] }),
    otel: { aigw: { [SAMPLER]: 'traceidratio', [SAMPLER_ARG]: '0.5' } },
    patched: true,
  },
  {
    name: 'the documented example: endpoint, CA and a 10 s interval',
    namespace: { endpoint: ENDPOINT, 'ca-configmap': 'collector-ca', 'metric-export-interval': '10s' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT, ...fullCa, [INTERVAL]: '10000' } },
    caVolume: 'collector-ca',
    caMount: { aigw: '/etc/collector' },
    injected: 'core',
    patched: true,
  },
  {
    name: 'protocol, compression and export-timeout on the core',
    namespace: {
      'tracing-endpoint': 'http://tempo:4317',
      protocol: 'grpc',
      compression: 'gzip',
      'export-timeout': '5s',
    },
    pod: corePod(),
    otel: { aigw: { [TRACES]: 'http://tempo:4317', [PROTOCOL]: 'grpc', [COMPRESSION]: 'gzip', [TIMEOUT]: '5000' } },
    patched: true,
  },
  {
    name: 'protocol, compression and export-timeout on a processor: the timeout in seconds, as Python reads it',
    namespace: { protocol: 'http/protobuf', compression: 'none', 'export-timeout': '10000' },
    pod: processorPod(),
    otel: { processor: { [PROTOCOL]: 'http/protobuf', [COMPRESSION]: 'none', [TIMEOUT]: '10' } },
    patched: true,
  },
  {
    name: 'export-timeout below a second: core in milliseconds, processor rounded up to whole seconds (Python int())',
    namespace: { 'export-timeout': '500ms', 'k8s-attributes': 'false' },
    pod: pod({
      labels: { 'aigw-otel.io/role': 'processor' },
      containers: [
        container({ name: 'core', image: CORE_IMAGE }),
        container({ name: 'labs', image: 'private-registry.f5.com/aigw/processor-labs/prompt-guard:v0.0.1' }),
      ],
    }),
    otel: { core: { [TIMEOUT]: '1' }, labs: { [TIMEOUT]: '1' } },
    patched: true,
  },
  {
    name: 'export-timeout 1400ms: the core keeps milliseconds, a processor waits 2 s (rounded up, never shorter)',
    namespace: { 'export-timeout': '1400ms', 'k8s-attributes': 'false' },
    pod: pod({
      containers: [
        container({ name: 'core', image: CORE_IMAGE }),
        container({ name: 'labs', image: 'private-registry.f5.com/aigw/processor-labs/prompt-guard:v0.0.1' }),
      ],
    }),
    otel: { core: { [TIMEOUT]: '1400' }, labs: { [TIMEOUT]: '2' } },
    injected: 'core,processor',
    patched: true,
  },
  {
    name: 'export-timeout 1ms on the core and a processor-labs image (a processor by its image)',
    namespace: { 'export-timeout': '1', 'k8s-attributes': 'false' },
    pod: pod({
      containers: [
        container({ name: 'core', image: CORE_IMAGE }),
        container({ name: 'labs', image: 'private-registry.f5.com/aigw/processor-labs/data-security:v0.0.1' }),
      ],
    }),
    otel: { core: { [TIMEOUT]: '1' }, labs: { [TIMEOUT]: '1' } },
    injected: 'core,processor',
    patched: true,
  },
  {
    name: 'over HTTP the endpoint shorthand gives processors per-signal URLs; the core (gRPC only) keeps its own, warned',
    namespace: { endpoint: 'https://collector:4318/', protocol: 'http/protobuf', 'k8s-attributes': 'false' },
    pod: pod({
      containers: [
        container({ name: 'core', image: CORE_IMAGE }),
        container({ name: 'processor', image: PROCESSOR_IMAGE }),
      ],
    }),
    otel: {
      core: {},
      processor: { [TRACES]: 'https://collector:4318/v1/traces', [PROTOCOL]: 'http/protobuf' },
    },
    warnings: [/protocol="http\/protobuf": the AI Gateway core exports over gRPC only/],
    patched: true,
  },
  {
    name: 'over HTTP a core-only pod gets nothing, and is told why',
    namespace: { endpoint: 'https://collector:4318/', protocol: 'http/protobuf', 'k8s-attributes': 'false' },
    pod: corePod(),
    otel: { aigw: {} },
    warnings: [/protocol="http\/protobuf": the AI Gateway core exports over gRPC only/],
    patched: false,
  },
  {
    name: 'protocol http/json is refused: neither SDK sends OTLP/JSON',
    namespace: { endpoint: ENDPOINT, protocol: 'http/json', 'k8s-attributes': 'false' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    warnings: [/protocol="http\/json": http\/json: no AI Gateway SDK exports OTLP\/JSON/],
    patched: true,
  },
  {
    name: 'over HTTP an explicit per-signal endpoint is used as written',
    namespace: {
      endpoint: 'https://collector:4318',
      'tracing-endpoint': 'https://tempo:4318/v1/traces',
      protocol: 'http/protobuf',
    },
    pod: processorPod(),
    otel: { processor: { [TRACES]: 'https://tempo:4318/v1/traces', [PROTOCOL]: 'http/protobuf' } },
    patched: true,
  },
  {
    name: 'bad protocol, compression and export-timeout are skipped with warnings',
    namespace: { endpoint: ENDPOINT, protocol: 'http', compression: 'zstd', 'export-timeout': 'never' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    warnings: [
      /protocol="http": must be one of grpc, http\/protobuf$/,
      /compression="zstd": must be one of gzip, none/,
      /export-timeout="never": not a duration/,
    ],
    patched: true,
  },
  {
    name: 'headers-secret: OTEL_EXPORTER_OTLP_HEADERS from the Secret, default key, on the core',
    namespace: { endpoint: ENDPOINT, 'headers-secret': 'collector-auth' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT, [HEADERS]: 'valueFrom' } },
    valueFrom: { aigw: { [HEADERS]: secretRef('collector-auth', 'headers') } },
    patched: true,
  },
  {
    name: 'headers-secret with headers-secret-key on a processor',
    namespace: { 'headers-secret': 'saas-api-key', 'headers-secret-key': 'otlp-headers' },
    pod: processorPod(),
    otel: { processor: { [HEADERS]: 'valueFrom' } },
    valueFrom: { processor: { [HEADERS]: secretRef('saas-api-key', 'otlp-headers') } },
    untouched: ['istio-proxy', 'istio-init'],
    patched: true,
  },
  {
    name: 'headers the pod already sets are kept; override replaces them with the Secret reference',
    namespace: { 'headers-secret': 'collector-auth', override: 'true' },
    pod: corePod({ env: [{ name: HEADERS, value: 'api-key=inline' }] }),
    otel: { aigw: { [HEADERS]: 'valueFrom' } },
    valueFrom: { aigw: { [HEADERS]: secretRef('collector-auth', 'headers') } },
    patched: true,
  },
  {
    name: 'a bad headers-secret name is skipped with a warning',
    namespace: { endpoint: ENDPOINT, 'headers-secret': 'Auth_Secret' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    warnings: [/headers-secret="Auth_Secret": not a valid name/],
    patched: true,
  },
  {
    name: 'client-cert-secret on the core: secret volume, read-only mount, both certificate/key pairs',
    namespace: { 'client-cert-secret': 'collector-mtls' },
    pod: corePod(),
    otel: { aigw: clientEnv('/etc/collector-client', true) },
    clientCert: 'collector-mtls',
    clientCertMount: { aigw: '/etc/collector-client' },
    patched: true,
  },
  {
    name: 'client-cert-secret on a processor: the traces pair only; the sidecar is not mounted',
    namespace: { 'client-cert-secret': 'collector-mtls', 'client-cert-mount-path': '/var/run/mtls' },
    pod: processorPod(),
    otel: { processor: clientEnv('/var/run/mtls', false) },
    clientCert: 'collector-mtls',
    clientCertMount: { processor: '/var/run/mtls', 'istio-proxy': null },
    untouched: ['istio-proxy', 'istio-init'],
    patched: true,
  },
  {
    name: 'CA and client certificate together',
    namespace: { endpoint: ENDPOINT, 'ca-configmap': 'collector-ca', 'client-cert-secret': 'collector-mtls' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT, ...fullCa, ...clientEnv('/etc/collector-client', true) } },
    caVolume: 'collector-ca',
    clientCert: 'collector-mtls',
    caMount: { aigw: '/etc/collector' },
    clientCertMount: { aigw: '/etc/collector-client' },
    patched: true,
  },
  {
    name: 'a client certificate mount inside the CA mount is skipped with a warning; the CA stays',
    namespace: {
      'ca-configmap': 'collector-ca',
      'client-cert-secret': 'collector-mtls',
      'client-cert-mount-path': '/etc/collector/client',
    },
    pod: corePod(),
    otel: { aigw: fullCa },
    caVolume: 'collector-ca',
    clientCert: null,
    warnings: [/client-cert-secret="collector-mtls": client certificate skipped: its mount path overlaps the CA's/],
    patched: true,
  },
  {
    name: 'collector-client-cert-volume with another source: client certificate skipped with a warning',
    namespace: { endpoint: ENDPOINT, 'client-cert-secret': 'collector-mtls' },
    pod: corePod({ volumes: [{ name: 'collector-client-cert-volume', emptyDir: {} }] }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    clientCertMount: { aigw: null },
    warnings: [/client-cert-secret: client certificate skipped: volume collector-client-cert-volume already exists/],
    patched: true,
  },
  {
    name: 'inject: "false" on the namespace',
    namespace: { endpoint: ENDPOINT, inject: 'false' },
    pod: corePod(),
    otel: { aigw: {} },
    patched: false,
  },
  {
    name: 'inject: "false" on the pod',
    namespace: { endpoint: ENDPOINT },
    pod: corePod({ annotations: { [a('inject')]: 'false' } }),
    otel: { aigw: {} },
    patched: false,
  },
  {
    name: 'inject: "true" on the pod overrides the namespace\'s "false"',
    namespace: { endpoint: ENDPOINT, inject: 'false' },
    pod: corePod({ annotations: { [a('inject')]: 'true' } }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    patched: true,
  },
  {
    name: 'a pod annotation overrides the namespace value for that pod only',
    namespace: { endpoint: ENDPOINT, 'metric-export-interval': '10s' },
    pod: corePod({
      annotations: { [a('metric-export-interval')]: '30s', [a('tracing-endpoint')]: 'http://tempo:4317' },
    }),
    otel: { aigw: { [TRACES]: 'http://tempo:4317', [METRICS]: ENDPOINT, [INTERVAL]: '30000' } },
    patched: true,
  },
  {
    name: 'pod annotations alone configure a pod in an unannotated namespace',
    namespace: {},
    pod: corePod({ annotations: { [a('endpoint')]: ENDPOINT } }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    patched: true,
  },
  // --- never override, unless override: "true" ---
  {
    name: 'env the pod already sets (value and valueFrom) is kept and recorded',
    namespace: { endpoint: ENDPOINT, 'metric-export-interval': '10s' },
    pod: corePod({
      env: [
        { name: TRACES, value: 'http://helm-values:4317' },
        { name: INTERVAL, valueFrom: { configMapKeyRef: { name: 'aigw-settings', key: 'interval' } } },
      ],
    }),
    otel: { aigw: { [TRACES]: 'http://helm-values:4317', [INTERVAL]: 'valueFrom', [METRICS]: ENDPOINT } },
    kept: `aigw/${TRACES},aigw/${INTERVAL}`,
    injected: 'core',
    patched: true,
  },
  {
    name: 'override: "true" replaces the values the pod set',
    namespace: { endpoint: ENDPOINT, 'metric-export-interval': '10s', override: 'true' },
    pod: corePod({
      env: [
        { name: TRACES, value: 'http://helm-values:4317' },
        { name: INTERVAL, valueFrom: { configMapKeyRef: { name: 'aigw-settings', key: 'interval' } } },
      ],
    }),
    otel: { aigw: { [TRACES]: ENDPOINT, [INTERVAL]: '10000', [METRICS]: ENDPOINT } },
    patched: true,
  },
  {
    name: 'everything already set by the pod (attributes off): no patch, not even the marker',
    namespace: { endpoint: ENDPOINT, 'k8s-attributes': 'false' },
    pod: corePod({
      env: [
        { name: TRACES, value: 'http://a:4317' },
        { name: METRICS, value: 'http://b:4317' },
      ],
    }),
    otel: { aigw: { [TRACES]: 'http://a:4317', [METRICS]: 'http://b:4317' } },
    patched: false,
  },
  {
    name: 'endpoints the pod set are kept; the resource attributes are still added',
    namespace: { endpoint: ENDPOINT },
    pod: corePod({
      env: [
        { name: TRACES, value: 'http://a:4317' },
        { name: METRICS, value: 'http://b:4317' },
      ],
    }),
    otel: { aigw: { [TRACES]: 'http://a:4317', [METRICS]: 'http://b:4317' } },
    resource: { aigw: K8S_CORE },
    kept: `aigw/${METRICS},aigw/${TRACES}`,
    patched: true,
  },
  // --- volumes ---
  {
    name: 'collector-ca-volume for the same ConfigMap is reused',
    namespace: { 'ca-configmap': 'collector-ca' },
    pod: corePod({
      volumes: [{ name: 'collector-ca-volume', configMap: { name: 'collector-ca' } }],
      mounts: [{ name: 'collector-ca-volume', readOnly: true, mountPath: '/etc/collector' }],
    }),
    otel: { aigw: fullCa },
    caVolume: 'collector-ca',
    caMount: { aigw: '/etc/collector' },
    patched: true,
  },
  {
    name: 'collector-ca-volume with another source: CA skipped with a warning, the rest injected',
    namespace: { endpoint: ENDPOINT, 'ca-configmap': 'collector-ca' },
    pod: corePod({ volumes: [{ name: 'collector-ca-volume', secret: { secretName: 'my-ca' } }] }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    caMount: { aigw: null },
    warnings: [/ca-configmap: CA skipped: volume collector-ca-volume already exists/],
    patched: true,
  },
  {
    name: 'another volume mounted at the mount path: CA skipped with a warning, the rest injected',
    namespace: { endpoint: ENDPOINT, 'ca-configmap': 'collector-ca' },
    pod: corePod({
      volumes: [{ name: 'certs', emptyDir: {} }],
      mounts: [{ name: 'certs', mountPath: '/etc/collector' }],
    }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    caVolume: null,
    warnings: [/CA skipped: aigw mounts certs at \/etc\/collector/],
    patched: true,
  },
  // --- bad values: that key skipped, valid keys applied, a warning naming it ---
  {
    name: 'bad values are skipped with one warning each; good keys still apply',
    namespace: {
      endpoint: 'otel-collector:4317',
      'metric-export-interval': 'soon',
      'traces-sampler': 'traceidratio',
      'traces-sampler-arg': '1.5',
      'ca-configmap': 'collector-ca',
    },
    pod: corePod(),
    otel: { aigw: { ...fullCa, [SAMPLER]: 'traceidratio' } },
    caVolume: 'collector-ca',
    warnings: [
      /^aigw-otel.io\/endpoint="otel-collector:4317": /,
      /^aigw-otel.io\/metric-export-interval="soon": not a duration/,
      /^aigw-otel.io\/traces-sampler-arg="1.5": must be between 0 and 1/,
    ],
    patched: true,
  },
  {
    name: 'a bad tracing-endpoint falls back to endpoint, with a warning',
    namespace: { endpoint: ENDPOINT, 'tracing-endpoint': 'ftp://tempo' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    warnings: [/tracing-endpoint="ftp:\/\/tempo": scheme must be http or https/],
    patched: true,
  },
  {
    name: 'a bad pod value leaves the namespace value in force, with a warning',
    namespace: { 'metric-export-interval': '10s' },
    pod: corePod({ annotations: { [a('metric-export-interval')]: '-5s' } }),
    otel: { aigw: { [INTERVAL]: '10000' } },
    warnings: [/metric-export-interval="-5s"/],
    patched: true,
  },
  {
    name: 'only bad values: no patch, but the warnings',
    namespace: { 'ca-configmap': 'Collector_CA', 'traces-sampler': 'sometimes' },
    pod: corePod(),
    warnings: [/ca-configmap="Collector_CA": not a valid name/, /traces-sampler="sometimes": must be one of/],
    patched: false,
  },
  {
    name: 'a sampler argument for a sampler that takes none is skipped with a warning',
    namespace: { 'traces-sampler': 'always_on', 'traces-sampler-arg': '0.5' },
    pod: corePod(),
    otel: { aigw: { [SAMPLER]: 'always_on' } },
    warnings: [/traces-sampler-arg="0.5": sampler always_on takes no argument/],
    patched: true,
  },
  {
    name: 'an unknown key is named with the nearest known key',
    namespace: { endpoint: ENDPOINT, 'tracing-endpont': 'http://tempo:4317' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    warnings: [/tracing-endpont: unknown annotation, did you mean aigw-otel.io\/tracing-endpoint\?/],
    patched: true,
  },
  // --- which pods and containers ---
  {
    name: 'not an AI Gateway pod: no patch, no warnings',
    namespace: { endpoint: ENDPOINT, 'metric-export-interval': 'soon' },
    pod: otherPod(),
    otel: { nginx: {} },
    patched: false,
  },
  {
    name: 'image from a mirror with a port and a digest is the core',
    namespace: { 'tracing-endpoint': ENDPOINT },
    pod: pod({
      containers: [container({ name: 'gw', image: `reg.internal:5000/mirror/aigw@sha256:${'ab'.repeat(32)}` })],
    }),
    otel: { gw: { [TRACES]: ENDPOINT } },
    injected: 'core',
    patched: true,
  },
  {
    name: 'an image that only contains aigw is not a target',
    namespace: { 'tracing-endpoint': ENDPOINT },
    pod: pod({ containers: [container({ name: 'tool', image: 'registry.example/aigw/aigw-cli:1.0' })] }),
    otel: { tool: {} },
    patched: false,
  },
  {
    name: 'core and processor in one pod: each gets its own set',
    namespace: { endpoint: ENDPOINT, 'metric-export-interval': '10s' },
    pod: pod({
      containers: [
        container({ name: 'aigw', image: CORE_IMAGE }),
        container({ name: 'processor', image: PROCESSOR_IMAGE }),
      ],
    }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT, [INTERVAL]: '10000' }, processor: { [TRACES]: ENDPOINT } },
    injected: 'core,processor',
    patched: true,
  },
  {
    name: 'role label: every regular container is a target, whatever its image',
    namespace: { endpoint: ENDPOINT },
    pod: pod({
      labels: { [a('role')]: 'processor' },
      containers: [
        container({ name: 'custom', image: 'ghcr.io/acme/my-processor:2' }),
        container({ name: 'helper', image: 'busybox' }),
      ],
      initContainers: [container({ name: 'setup', image: 'busybox' })],
    }),
    otel: { custom: { [TRACES]: ENDPOINT }, helper: { [TRACES]: ENDPOINT } },
    untouched: ['setup'],
    injected: 'processor',
    patched: true,
  },
  {
    name: 'role label narrowed by container-names',
    namespace: { endpoint: ENDPOINT },
    pod: pod({
      labels: { [a('role')]: 'core' },
      annotations: { [a('container-names')]: 'gateway' },
      containers: [
        container({ name: 'gateway', image: 'ghcr.io/acme/gw:2' }),
        container({ name: 'istio-proxy', image: ISTIO_IMAGE }),
      ],
    }),
    otel: { gateway: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT }, 'istio-proxy': {} },
    untouched: ['istio-proxy'],
    patched: true,
  },
  {
    name: 'a role label with another value falls back to images, with a warning',
    namespace: { endpoint: ENDPOINT },
    pod: corePod({ labels: { [a('role')]: 'gateway' } }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    warnings: [/aigw-otel.io\/role="gateway": label must be core or processor/],
    patched: true,
  },
  {
    name: 'a pod without env, volumes or annotations gets whole arrays and maps added',
    namespace: { endpoint: ENDPOINT, 'ca-configmap': 'collector-ca' },
    pod: (() => {
      const p = corePod();
      delete p.spec.volumes;
      delete p.spec.containers[0]?.volumeMounts;
      return p;
    })(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT, ...fullCa } },
    caVolume: 'collector-ca',
    caMount: { aigw: '/etc/collector' },
    patched: true,
  },
  {
    name: 'annotation keys with / and ~ on the pod survive the patch',
    namespace: { endpoint: ENDPOINT },
    pod: corePod({ annotations: { 'example.com/a~b': 'x', 'prometheus.io/scrape': 'true' } }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    injected: 'core',
    patched: true,
  },
  {
    name: 'values with surrounding whitespace are trimmed',
    namespace: { endpoint: ` ${ENDPOINT}\n`, 'metric-export-interval': ' 500ms ' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT, [INTERVAL]: '500' } },
    patched: true,
  },
  // --- Kubernetes resource attributes and resource-attributes ---
  {
    name: 'resource attributes by default on the core: namespace, pod, uid, node, container, deployment',
    namespace: { endpoint: ENDPOINT },
    pod: corePod(),
    resource: { aigw: K8S_CORE },
    valueFrom: {
      aigw: {
        OTEL_RESOURCE_ATTRIBUTES_POD_NAME: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
        OTEL_RESOURCE_ATTRIBUTES_POD_UID: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.uid' } },
        OTEL_RESOURCE_ATTRIBUTES_NODE_NAME: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } },
      },
    },
    patched: true,
  },
  {
    name: 'resource attributes on a processor name its container; the sidecar gets none',
    namespace: { endpoint: ENDPOINT },
    pod: processorPod(),
    resource: {
      processor: { ...K8S_CORE, 'k8s.container.name': 'processor', 'k8s.deployment.name': 'aigw-processors-f5' },
      'istio-proxy': null,
    },
    untouched: ['istio-proxy', 'istio-init'],
    patched: true,
  },
  {
    name: 'a StatefulSet pod carries k8s.statefulset.name',
    namespace: { endpoint: ENDPOINT },
    pod: ownedBy(corePod(), 'StatefulSet', 'aigw'),
    resource: { aigw: workload('k8s.statefulset.name', 'aigw') },
    patched: true,
  },
  {
    name: 'a DaemonSet pod carries k8s.daemonset.name',
    namespace: { endpoint: ENDPOINT },
    pod: ownedBy(corePod(), 'DaemonSet', 'aigw-edge'),
    resource: { aigw: workload('k8s.daemonset.name', 'aigw-edge') },
    patched: true,
  },
  {
    name: 'a ReplicaSet whose name does not end in the pod-template-hash is named as a ReplicaSet',
    namespace: { endpoint: ENDPOINT },
    pod: ownedBy(corePod(), 'ReplicaSet', 'aigw-manual'),
    resource: { aigw: workload('k8s.replicaset.name', 'aigw-manual') },
    patched: true,
  },
  {
    name: 'a bare pod has no workload attribute',
    namespace: { endpoint: ENDPOINT },
    pod: ownedBy(corePod(), undefined, ''),
    resource: { aigw: workload(undefined, '') },
    patched: true,
  },
  {
    name: 'resource-attributes are appended and win over a Kubernetes attribute of the same key',
    namespace: {
      endpoint: ENDPOINT,
      'resource-attributes': 'team=ai, deployment.environment=prod,k8s.deployment.name=gw',
    },
    pod: corePod(),
    resource: { aigw: { ...K8S_CORE, 'k8s.deployment.name': 'gw', team: 'ai', 'deployment.environment': 'prod' } },
    patched: true,
  },
  {
    name: 'resource-attributes alone configure the resource attributes of a processor',
    namespace: { 'resource-attributes': 'team=ai' },
    pod: processorPod(),
    otel: { processor: {} },
    resource: {
      processor: {
        ...K8S_CORE,
        'k8s.container.name': 'processor',
        'k8s.deployment.name': 'aigw-processors-f5',
        team: 'ai',
      },
    },
    injected: 'processor',
    patched: true,
  },
  {
    name: 'percent-encoded values pass through as written',
    namespace: { endpoint: ENDPOINT, 'k8s-attributes': 'false', 'resource-attributes': 'note=a%2Cb%20c' },
    pod: corePod(),
    resource: { aigw: { note: 'a%2Cb%20c' } },
    patched: true,
  },
  {
    name: 'k8s-attributes "false": no resource attributes and no downward-API variables',
    namespace: { endpoint: ENDPOINT, 'k8s-attributes': 'false' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    resource: { aigw: null },
    patched: true,
  },
  {
    name: 'the Kubernetes attributes alone do not patch a pod in an unconfigured namespace',
    namespace: { 'k8s-attributes': 'true' },
    pod: corePod(),
    resource: { aigw: null },
    patched: false,
  },
  {
    name: 'a pod annotation overrides the namespace resource-attributes and k8s-attributes',
    namespace: { endpoint: ENDPOINT, 'resource-attributes': 'team=ns', 'k8s-attributes': 'false' },
    pod: corePod({ annotations: { [a('resource-attributes')]: 'team=pod', [a('k8s-attributes')]: 'true' } }),
    resource: { aigw: { ...K8S_CORE, team: 'pod' } },
    patched: true,
  },
  {
    name: 'bad resource-attributes and k8s-attributes are skipped with warnings',
    namespace: { endpoint: ENDPOINT, 'resource-attributes': 'team=ai platform', 'k8s-attributes': 'no' },
    pod: corePod(),
    resource: { aigw: K8S_CORE },
    warnings: [/resource-attributes.*percent-encoded/, /k8s-attributes.*"true" or "false"/],
    patched: true,
  },
  {
    name: "the pod's own OTEL_RESOURCE_ATTRIBUTES wins key by key; variables go in before it",
    namespace: { endpoint: ENDPOINT, 'resource-attributes': 'team=ai' },
    pod: corePod({
      env: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'service.version=1.1,k8s.pod.name=custom,team=gw' },
        { name: 'AFTER', value: 'x' },
      ],
    }),
    resource: {
      aigw: { ...K8S_CORE, 'service.version': '1.1', 'k8s.pod.name': 'custom', team: 'gw' },
    },
    envOrder: {
      aigw: [
        'LOG_LEVEL',
        'OTEL_RESOURCE_ATTRIBUTES_POD_UID',
        'OTEL_RESOURCE_ATTRIBUTES_NODE_NAME',
        'OTEL_RESOURCE_ATTRIBUTES',
        'AFTER',
        TRACES,
        METRICS,
      ],
    },
    patched: true,
  },
  {
    name: 'override: "true" lets ours win key by key and keeps the pod\'s other attributes',
    namespace: { endpoint: ENDPOINT, override: 'true' },
    pod: corePod({ env: [{ name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'k8s.container.name=x,service.version=1.1' }] }),
    resource: { aigw: { ...K8S_CORE, 'service.version': '1.1' } },
    patched: true,
  },
  {
    name: 'OTEL_RESOURCE_ATTRIBUTES from valueFrom is kept whole and recorded',
    namespace: { endpoint: ENDPOINT },
    pod: corePod({
      env: [{ name: 'OTEL_RESOURCE_ATTRIBUTES', valueFrom: { configMapKeyRef: { name: 'otel', key: 'attributes' } } }],
    }),
    valueFrom: { aigw: { OTEL_RESOURCE_ATTRIBUTES: { configMapKeyRef: { name: 'otel', key: 'attributes' } } } },
    envOrder: { aigw: ['OTEL_RESOURCE_ATTRIBUTES', TRACES, METRICS] },
    kept: 'aigw/OTEL_RESOURCE_ATTRIBUTES',
    patched: true,
  },
  {
    name: 'a downward-API variable the pod defines differently is kept and its attribute left out',
    namespace: { endpoint: ENDPOINT },
    pod: corePod({ env: [{ name: 'OTEL_RESOURCE_ATTRIBUTES_NODE_NAME', value: 'pinned' }] }),
    resource: { aigw: (({ 'k8s.node.name': _node, ...rest }) => rest)(K8S_CORE) },
    kept: 'aigw/OTEL_RESOURCE_ATTRIBUTES_NODE_NAME',
    patched: true,
  },
  {
    name: 'auto-rollout on a pod is a namespace setting: skipped with a warning; config-hash from a rollout is passed over',
    namespace: { endpoint: ENDPOINT, 'k8s-attributes': 'false' },
    pod: corePod({ annotations: { [a('auto-rollout')]: 'true', [a('config-hash')]: '0123456789abcdef' } }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    warnings: [/auto-rollout: only valid as a namespace annotation/],
    patched: true,
  },
  // --- fidelity to the SDKs: unset entries, envFrom, attributes that cannot be expanded ---
  {
    name: 'an entry of ours with value "" or no value is unset to the SDK: filled in place, not kept',
    namespace: { endpoint: ENDPOINT, 'k8s-attributes': 'false' },
    pod: corePod({ env: [{ name: TRACES, value: '' }, { name: 'LOG_LEVEL', value: 'info' }, { name: METRICS }] }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    envOrder: { aigw: [TRACES, 'LOG_LEVEL', METRICS] },
    kept: undefined,
    patched: true,
  },
  {
    name: 'an unset downward-API variable of ours is filled in place and its attribute written',
    namespace: { endpoint: ENDPOINT },
    pod: corePod({ env: [{ name: 'OTEL_RESOURCE_ATTRIBUTES_NODE_NAME', value: '' }] }),
    resource: { aigw: K8S_CORE },
    kept: undefined,
    patched: true,
  },
  {
    name: 'a container with envFrom is warned, once, that injected values take precedence',
    namespace: { endpoint: ENDPOINT, 'k8s-attributes': 'false' },
    pod: (() => {
      const p = corePod();
      p.spec.containers[0] = { ...p.spec.containers[0], envFrom: [{ configMapRef: { name: 'aigw-env' } }] } as never;
      return p;
    })(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    warnings: [/container aigw: injected env vars take precedence over the same names from its envFrom/],
    patched: true,
  },
  {
    name: "the pod's own downward-API variable after OTEL_RESOURCE_ATTRIBUTES: attribute left out, with a warning",
    namespace: { endpoint: ENDPOINT },
    pod: corePod({
      env: [
        { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'team=gw' },
        {
          name: 'OTEL_RESOURCE_ATTRIBUTES_NODE_NAME',
          valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } },
        },
      ],
    }),
    resource: { aigw: { ...(({ 'k8s.node.name': _node, ...rest }) => rest)(K8S_CORE), team: 'gw' } },
    warnings: [/container aigw: OTEL_RESOURCE_ATTRIBUTES_NODE_NAME is defined after OTEL_RESOURCE_ATTRIBUTES/],
    patched: true,
  },
  // --- endpoint-host: node (agent mode): each pod to the Collector on its node ---
  {
    name: 'endpoint-host node: the core sends both signals to its node, OTEL_NODE_IP defined before them',
    namespace: { endpoint: ENDPOINT, 'endpoint-host': 'node', 'k8s-attributes': 'false' },
    pod: corePod(),
    otel: { aigw: { [NODE_IP]: 'valueFrom', [TRACES]: ON_NODE, [METRICS]: ON_NODE } },
    valueFrom: { aigw: { [NODE_IP]: HOST_IP_REF } },
    envOrder: { aigw: [NODE_IP, TRACES, METRICS] },
    injected: 'core',
    patched: true,
  },
  {
    name: 'endpoint-host node on a processor over HTTP: host replaced, port and /v1/traces kept; sidecar untouched',
    namespace: { endpoint: 'https://collector:4318/', protocol: 'http/protobuf', 'endpoint-host': 'node' },
    pod: processorPod(),
    otel: {
      processor: {
        [NODE_IP]: 'valueFrom',
        [TRACES]: 'https://$(OTEL_NODE_IP):4318/v1/traces',
        [PROTOCOL]: 'http/protobuf',
      },
      'istio-proxy': {},
    },
    envOrder: {
      processor: [
        'LOG_LEVEL',
        NODE_IP,
        TRACES,
        PROTOCOL,
        'OTEL_RESOURCE_ATTRIBUTES_POD_NAME',
        'OTEL_RESOURCE_ATTRIBUTES_POD_UID',
        'OTEL_RESOURCE_ATTRIBUTES_NODE_NAME',
        'OTEL_RESOURCE_ATTRIBUTES',
      ],
    },
    untouched: ['istio-proxy', 'istio-init'],
    patched: true,
  },
  {
    name: 'endpoint-host node applies to tracing-endpoint and metrics-endpoint too',
    namespace: {
      'tracing-endpoint': 'http://tempo:4317',
      'metrics-endpoint': 'https://[fd00::7]:4317',
      'endpoint-host': 'node',
      'k8s-attributes': 'false',
    },
    pod: corePod(),
    otel: { aigw: { [NODE_IP]: 'valueFrom', [TRACES]: 'http://$(OTEL_NODE_IP):4317', [METRICS]: ON_NODE } },
    patched: true,
  },
  {
    name: 'endpoint-host endpoint on the pod undoes the namespace’s node: endpoints as written, no OTEL_NODE_IP',
    namespace: { endpoint: ENDPOINT, 'endpoint-host': 'node', 'k8s-attributes': 'false' },
    pod: corePod({ annotations: { [a('endpoint-host')]: 'endpoint' } }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    patched: true,
  },
  {
    name: 'endpoint-host node on the pod alone sends that pod to its node',
    namespace: { endpoint: ENDPOINT, 'k8s-attributes': 'false' },
    pod: corePod({ annotations: { [a('endpoint-host')]: 'node' } }),
    otel: { aigw: { [NODE_IP]: 'valueFrom', [TRACES]: ON_NODE, [METRICS]: ON_NODE } },
    patched: true,
  },
  {
    name: 'endpoint-host node: an endpoint the pod sets is kept, OTEL_NODE_IP goes before the one injected',
    namespace: { endpoint: ENDPOINT, 'endpoint-host': 'node', 'k8s-attributes': 'false' },
    pod: corePod({
      env: [
        { name: TRACES, value: 'http://tempo:4317' },
        { name: 'LOG_LEVEL', value: 'info' },
      ],
    }),
    otel: { aigw: { [TRACES]: 'http://tempo:4317', [NODE_IP]: 'valueFrom', [METRICS]: ON_NODE } },
    envOrder: { aigw: [TRACES, 'LOG_LEVEL', NODE_IP, METRICS] },
    kept: `aigw/${TRACES}`,
    patched: true,
  },
  {
    name: 'endpoint-host node: an unset endpoint filled in place gets OTEL_NODE_IP just before it',
    namespace: { endpoint: ENDPOINT, 'endpoint-host': 'node', 'k8s-attributes': 'false' },
    pod: corePod({
      env: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: TRACES, value: '' },
        { name: 'PORT', value: '1' },
      ],
    }),
    otel: { aigw: { [NODE_IP]: 'valueFrom', [TRACES]: ON_NODE, [METRICS]: ON_NODE } },
    envOrder: { aigw: ['LOG_LEVEL', NODE_IP, TRACES, 'PORT', METRICS] },
    patched: true,
  },
  {
    name: 'endpoint-host node: an OTEL_NODE_IP the pod defines is kept',
    namespace: { endpoint: ENDPOINT, 'endpoint-host': 'node', 'k8s-attributes': 'false' },
    pod: corePod({ env: [{ name: NODE_IP, value: '10.1.1.1' }] }),
    otel: { aigw: { [NODE_IP]: '10.1.1.1', [TRACES]: ON_NODE, [METRICS]: ON_NODE } },
    kept: `aigw/${NODE_IP}`,
    patched: true,
  },
  {
    name: 'endpoint-host node with override: the pod’s OTEL_NODE_IP replaced by ours, before the endpoints',
    namespace: { endpoint: ENDPOINT, 'endpoint-host': 'node', override: 'true', 'k8s-attributes': 'false' },
    pod: corePod({
      env: [
        { name: TRACES, value: 'http://tempo:4317' },
        { name: NODE_IP, value: '10.1.1.1' },
      ],
    }),
    otel: { aigw: { [NODE_IP]: 'valueFrom', [TRACES]: ON_NODE, [METRICS]: ON_NODE } },
    valueFrom: { aigw: { [NODE_IP]: HOST_IP_REF } },
    envOrder: { aigw: [NODE_IP, TRACES, METRICS] },
    patched: true,
  },
  {
    name: 'endpoint-host node over HTTP on a core-only pod: no endpoints, so no OTEL_NODE_IP either',
    namespace: { endpoint: 'https://collector:4318', protocol: 'http/protobuf', 'endpoint-host': 'node' },
    pod: corePod(),
    otel: { aigw: {} },
    warnings: [/protocol="http\/protobuf": the AI Gateway core exports over gRPC only/],
    patched: false,
  },
  {
    name: 'endpoint-host without any endpoint configures nothing',
    namespace: { 'endpoint-host': 'node' },
    pod: corePod(),
    otel: { aigw: {} },
    patched: false,
  },
  {
    name: 'endpoint-host with another value is skipped with a warning: endpoints as written',
    namespace: { endpoint: ENDPOINT, 'endpoint-host': 'nodes', 'k8s-attributes': 'false' },
    pod: corePod(),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    warnings: [/endpoint-host="nodes": must be one of endpoint, node/],
    patched: true,
  },
  // --- length caps: a tenant's long strings are refused before any parsing ---
  {
    name: 'annotations over the 256 KiB the API server allows: not decided on, admitted as is with a warning',
    namespace: { endpoint: ENDPOINT },
    pod: corePod({ annotations: { 'example.com/blob': 'x'.repeat(256 * 1024) } }),
    otel: { aigw: {} },
    warnings: [/pod: metadata.annotations exceed the 256 KiB the API server allows/],
    patched: false,
  },
  {
    name: 'a pod value over 4096 characters is skipped with a warning, the namespace value stays',
    namespace: { endpoint: ENDPOINT, 'ca-configmap': 'collector-ca' },
    pod: corePod({ annotations: { [a('ca-configmap')]: 'a'.repeat(4097) } }),
    caVolume: 'collector-ca',
    warnings: [/ca-configmap="a+…": longer than 4096 characters/],
    patched: true,
  },
  {
    name: 'an endpoint over 2048 characters is skipped with a warning',
    namespace: { 'traces-sampler': 'always_on', 'k8s-attributes': 'false' },
    pod: corePod({ annotations: { [a('endpoint')]: `https://collector:4317/${'p'.repeat(2030)}` } }),
    otel: { aigw: { [SAMPLER]: 'always_on' } },
    warnings: [/endpoint="https.*: longer than 2048 characters/],
    patched: true,
  },
  {
    name: 'an unknown key far longer than any of ours gets no suggestion',
    namespace: { endpoint: ENDPOINT, 'k8s-attributes': 'false' },
    pod: corePod({ annotations: { [a(`tracing-endpoint${'x'.repeat(40)}`)]: 'v' } }),
    otel: { aigw: { [TRACES]: ENDPOINT, [METRICS]: ENDPOINT } },
    warnings: [/tracing-endpointx+.*: unknown annotation$/],
    patched: true,
  },
];

export { CORE_IMAGE, PROCESSOR_IMAGE };
