/**
 * Workloads, namespaces and expectations shared by the real-cluster tests: F5 AI Gateway's images and labels as the
 * chart renders them (../shared/reference/real-cluster-facts.md), with the securityContext the `restricted` Pod
 * Security level asks for, so the same pods are admitted in any namespace.
 */
import type { ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { k8sAttributeEnv } from '../helpers/resource-attributes.js';

export const CORE_IMAGE = 'private-registry.f5.com/aigw/aigw:v1.1.0';
export const PROCESSOR_IMAGE = 'private-registry.f5.com/aigw/aigw-processors-f5:v1.1.0';
export const LABS_IMAGE = 'private-registry.f5.com/aigw/processor-labs/prompt-guard:v0.0.1';
export const ISTIO_IMAGE = 'docker.io/istio/proxyv2:1.24.0';
export const ENDPOINT = 'https://otel-collector.observability:4317';

/** The annotations of a configured AI Gateway namespace. */
export const GATEWAY_ANNOTATIONS = {
  'aigw-otel.io/endpoint': ENDPOINT,
  'aigw-otel.io/ca-configmap': 'collector-ca',
  'aigw-otel.io/metric-export-interval': '10s',
};

export const RESTRICTED = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  runAsUser: 65532,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export interface ContainerSpec {
  name: string;
  image: string;
  env?: { name: string; value: string }[];
}

export const containerOf = ({ name, image, env }: ContainerSpec) => ({
  name,
  image,
  ...(env === undefined ? {} : { env }),
  ports: [{ name: 'http', containerPort: 4141 }],
  securityContext: RESTRICTED,
});

/** A pod spec template as the chart renders one: the app label, the given containers. */
export function template(app: string, containers: ContainerSpec[], labels: Record<string, string> = {}) {
  return {
    metadata: { labels: { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': 'aigw', ...labels } },
    spec: { containers: containers.map(containerOf) },
  };
}

/** The AI Gateway core as a one-replica Deployment `aigw`, as the chart renders it. */
export function coreDeployment(namespace: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'aigw', namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'aigw' } },
      template: template('aigw', [{ name: 'aigw', image: CORE_IMAGE }]),
    },
  };
}

/** A bare pod (no controller), for the cases that count reviews one pod at a time. */
export function barePod(name: string, namespace: string, containers: ContainerSpec[], labels = {}) {
  const { metadata, spec } = template(name, containers, labels);
  return { apiVersion: 'v1', kind: 'Pod', metadata: { ...metadata, name, namespace }, spec };
}

/** A namespace with telemetry annotations and its collector CA ConfigMap, once its `default` ServiceAccount exists. */
export async function gatewayNamespace(
  cp: ControlPlane,
  name: string,
  annotations: Record<string, string> = GATEWAY_ANNOTATIONS,
): Promise<void> {
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } };
  const ca = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'collector-ca', namespace: name },
    data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\n(the collector CA)\n-----END CERTIFICATE-----\n' },
  };
  await cp.kubectl(['create', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [namespace, ca] }),
  });
  await serviceAccountReady(cp, name);
}

/** The ServiceAccount admission plugin refuses pods until the controller has made `default` in the namespace. */
export async function serviceAccountReady(cp: ControlPlane, namespace: string): Promise<void> {
  await eventually(
    async () =>
      (await cp.kubectl(['-n', namespace, 'get', 'serviceaccount', 'default'], { allowFailure: true })).code === 0,
    60_000,
    `no ServiceAccount default in ${namespace}`,
  );
}

/**
 * The env a configured container gets from GATEWAY_ANNOTATIONS (README, "Annotations" and "Resource attributes");
 * `workload` is its workload's attribute (`k8s.deployment.name=aigw`), none for a bare pod.
 */
export function expectedEnv(role: 'core' | 'processor', namespace: string, container: string, workload?: string) {
  const core = role === 'core';
  return [
    { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', value: ENDPOINT },
    ...(core ? [{ name: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', value: ENDPOINT }] : []),
    { name: 'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE', value: '/etc/collector/ca.crt' },
    ...(core ? [{ name: 'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE', value: '/etc/collector/ca.crt' }] : []),
    ...(core ? [{ name: 'OTEL_METRIC_EXPORT_INTERVAL', value: '10000' }] : []),
    ...k8sAttributeEnv(namespace, container, workload),
  ];
}

/** The pods the API server stored with this app label, once there are `count` of them. */
export async function storedPods(cp: ControlPlane, namespace: string, app: string, count = 1): Promise<any[]> {
  let pods: any[] = [];
  await eventually(
    async () => {
      const list = await cp.getJson(['-n', namespace, 'get', 'pods', '-l', `app.kubernetes.io/name=${app}`]);
      pods = list.items;
      return pods.length >= count;
    },
    90_000,
    `no ${count} pod(s) of ${app} in ${namespace}:\n${cp.logTail('kube-controller-manager', 15)}`,
  );
  return pods;
}
