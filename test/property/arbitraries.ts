/** fast-check generators for pods as the API server would accept them, and for annotation sets. */
import fc from 'fast-check';
import type { Container, EnvVar, Pod, Volume, VolumeMount } from '../../src/core/pod.js';
import { NODE_IP } from '../../src/core/node-ip.js';
import { FIELD_VARS } from '../../src/core/resource-attributes.js';
import { MANAGED_ENV } from '../../src/core/settings.js';

const P = 'aigw-otel.io/';

const image = fc.oneof(
  fc.constantFrom(
    'aigw',
    'aigw:v1',
    'private-registry.f5.com/aigw/aigw:v1.1.0',
    'reg.internal:5000/mirror/aigw@sha256:0123abcd',
    'localhost:5000/aigw:dev@sha256:ff',
    'private-registry.f5.com/aigw/aigw-processors-f5:v1.1.0',
    'ghcr.io/acme/aigw-processor-x',
    'docker.io/istio/proxyv2:1.24.0',
    'busybox',
    'registry.example/aigw/aigw-cli:1',
    'aigw.example.com/nginx:1',
  ),
  fc
    .tuple(
      fc.constantFrom('', 'reg.io/', 'reg.io:5000/', 'localhost/'),
      fc.constantFrom('', 'team/', 'a/b/'),
      fc.constantFrom('aigw', 'aigw-processor', 'aigw-processors-z', 'app', 'AIGW'),
      fc.constantFrom('', ':1', ':latest', '@sha256:abc', ':v2@sha256:def'),
    )
    .map((parts) => parts.join('')),
);

const envName = fc.constantFrom(
  ...MANAGED_ENV,
  'LOG_LEVEL',
  'OTEL_SERVICE_NAME',
  'PATH',
  'HOME',
  'OTEL_RESOURCE_ATTRIBUTES',
  ...FIELD_VARS.map((f) => f.env.name),
  NODE_IP,
);
const envValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('service.version=1,k8s.pod.name=x', 'team=a,', 'k8s.container.name=c0,broken', ''),
  // A pod of its own that already sends to its node, as the OpenTelemetry operator's pods do.
  fc.constant('http://$(OTEL_NODE_IP):4317'),
);
const envVar: fc.Arbitrary<EnvVar> = fc.oneof(
  fc.record({ name: envName, value: envValue }),
  ...FIELD_VARS.map((f) => fc.constant(f.env)),
  fc.constant({ name: NODE_IP, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.hostIP' } } }),
  fc.record({ name: envName, valueFrom: fc.constant({ secretKeyRef: { name: 's', key: 'k' } }) }),
);

const volumeName = fc.constantFrom(
  'collector-ca-volume',
  'collector-client-cert-volume',
  'config',
  'certs',
  'data',
  'tmp',
);
const mountPath = fc.constantFrom(
  '/etc/collector',
  '/etc/collector-client',
  '/var/run/otel',
  '/etc/aigw',
  '/data',
  '/tmp',
);

export const volume: fc.Arbitrary<Volume> = fc.oneof(
  fc.record({ name: volumeName, configMap: fc.record({ name: fc.constantFrom('collector-ca', 'other-ca', 'cfg') }) }),
  fc.record({ name: volumeName, secret: fc.record({ secretName: fc.constantFrom('tls', 'collector-mtls') }) }),
  fc.record({ name: volumeName, emptyDir: fc.constant({}) }),
);

function container(name: string, volumes: readonly string[]): fc.Arbitrary<Container> {
  const mounts: fc.Arbitrary<VolumeMount[]> =
    volumes.length === 0
      ? fc.constant([])
      : fc.uniqueArray(
          fc.record(
            { name: fc.constantFrom(...volumes), mountPath, readOnly: fc.boolean() },
            { requiredKeys: ['name', 'mountPath'] },
          ),
          { maxLength: 3, selector: (m) => m.mountPath },
        );
  return fc.record(
    {
      name: fc.constant(name),
      image,
      env: fc.uniqueArray(envVar, { maxLength: 6, selector: (e) => e.name }),
      volumeMounts: mounts,
      ports: fc.constant([{ containerPort: 4141 }]),
    },
    { requiredKeys: ['name', 'image'] },
  );
}

const annotationValue: Record<string, fc.Arbitrary<string>> = {
  endpoint: fc.constantFrom('https://collector:4317', 'http://10.0.0.1:4317', 'collector:4317', 'ftp://x', ''),
  'tracing-endpoint': fc.constantFrom('http://tempo:4317', 'nope'),
  'endpoint-host': fc.constantFrom('node', 'endpoint', 'nodes'),
  'metrics-endpoint': fc.constantFrom('http://mimir:4317', 'https://user:pw@x'),
  'ca-configmap': fc.constantFrom('collector-ca', 'other-ca', 'Bad_Name'),
  'ca-key': fc.constantFrom('ca.crt', 'root.pem', 'a/b'),
  'ca-mount-path': fc.constantFrom('/etc/collector', '/var/run/otel', '/etc/aigw', 'relative', '/'),
  'metric-export-interval': fc.constantFrom('10s', '1m30s', '10000', '500ms', 'soon', '0', '-1s'),
  'traces-sampler': fc.constantFrom('always_on', 'traceidratio', 'parentbased_traceidratio', 'sometimes'),
  'traces-sampler-arg': fc.constantFrom('0', '0.25', '1', '1.5', 'half'),
  protocol: fc.constantFrom('grpc', 'http/protobuf', 'http/json', 'http'),
  'headers-secret': fc.constantFrom('collector-auth', 'Bad_Secret'),
  'client-cert-secret': fc.constantFrom('collector-mtls', 'other-mtls', 'Bad'),
  'client-cert-mount-path': fc.constantFrom('/etc/collector-client', '/etc/collector/client', '/tmp', 'rel'),
  'headers-secret-key': fc.constantFrom('headers', 'a b'),
  compression: fc.constantFrom('gzip', 'none', 'zstd'),
  'export-timeout': fc.constantFrom('5s', '10000', 'never'),
  'resource-attributes': fc.constantFrom('team=ai', 'k8s.pod.name=fixed,env=prod', 'a=1,a=2', 'bad value=x'),
  'k8s-attributes': fc.constantFrom('true', 'false', 'off'),
  'auto-rollout': fc.constantFrom('true', 'nope'),
  'config-hash': fc.constant('0123456789abcdef'),
  inject: fc.constantFrom('true', 'false', 'maybe'),
  override: fc.constantFrom('true', 'false', 'yes'),
  'container-names': fc.constantFrom('c0', 'c0,c1', 'ghost', ''),
  'tracing-endpont': fc.constant('http://typo:4317'),
};

/** A set of the injector's annotations, valid and invalid values mixed. */
export const ownAnnotations = fc
  .subarray(Object.keys(annotationValue), { maxLength: 7 })
  .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [P + k, annotationValue[k] as fc.Arbitrary<string>]))))
  .map((r) => r as Record<string, string>);

const otherAnnotations = fc.dictionary(
  fc.constantFrom('example.com/a~b', 'prometheus.io/scrape', 'team', 'a/b/c', 'x~1y'),
  fc.string({ maxLength: 8 }),
  { maxKeys: 3 },
);

/** A pod that passes the API server's validation: unique names, mounts of existing volumes, unique mount paths. */
export const pod: fc.Arbitrary<Pod> = fc
  .record({
    volumes: fc.uniqueArray(volume, { maxLength: 4, selector: (v) => v.name }),
    containerCount: fc.integer({ min: 1, max: 3 }),
    initCount: fc.integer({ min: 0, max: 2 }),
    role: fc.constantFrom(undefined, undefined, 'core', 'processor', 'gateway'),
    annotations: fc.option(
      fc.tuple(ownAnnotations, otherAnnotations).map(([a, b]) => ({ ...b, ...a })),
      { nil: undefined },
    ),
    withVolumes: fc.boolean(),
    owner: fc.option(
      fc.record({
        apiVersion: fc.constant('apps/v1'),
        kind: fc.constantFrom('ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'Node'),
        name: fc.constantFrom('aigw-abc', 'aigw', 'gw-1'),
        controller: fc.boolean(),
      }),
      { nil: undefined },
    ),
  })
  .chain(({ volumes, containerCount, initCount, role, annotations, withVolumes, owner }) => {
    const names = withVolumes ? volumes.map((v) => v.name) : [];
    return fc
      .tuple(
        fc.tuple(...Array.from({ length: containerCount }, (_, i) => container(`c${i}`, names))),
        fc.tuple(...Array.from({ length: initCount }, (_, i) => container(`init${i}`, names))),
      )
      .map(([containers, initContainers]) => {
        const base = { app: 'x', 'pod-template-hash': 'abc' };
        const labels = role === undefined ? base : { ...base, [`${P}role`]: role };
        const metadata = {
          generateName: 'aigw-abc-',
          labels,
          ...(annotations ? { annotations } : {}),
          ...(owner ? { ownerReferences: [owner] } : {}),
        };
        const spec: Pod['spec'] = { containers: [...containers] };
        if (initContainers.length > 0) spec.initContainers = [...initContainers];
        if (withVolumes && volumes.length > 0) spec.volumes = volumes;
        return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
      });
  });
