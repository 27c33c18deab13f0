/**
 * The Kubernetes resource attributes the webhook adds to a configured container, after the other settings (README,
 * "Resource attributes"): three downward-API variables, then the list that refers to them. `workload` is the
 * workload's attribute (`k8s.deployment.name=aigw`), none for a bare pod.
 */
export function k8sAttributeEnv(namespace: string, container: string, workload?: string) {
  const field = (name: string, fieldPath: string) => ({
    name,
    valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } },
  });
  const attributes = [
    `k8s.namespace.name=${namespace}`,
    'k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME)',
    'k8s.pod.uid=$(OTEL_RESOURCE_ATTRIBUTES_POD_UID)',
    'k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME)',
    `k8s.container.name=${container}`,
    ...(workload === undefined ? [] : [workload]),
  ];
  return [
    field('OTEL_RESOURCE_ATTRIBUTES_POD_NAME', 'metadata.name'),
    field('OTEL_RESOURCE_ATTRIBUTES_POD_UID', 'metadata.uid'),
    field('OTEL_RESOURCE_ATTRIBUTES_NODE_NAME', 'spec.nodeName'),
    { name: 'OTEL_RESOURCE_ATTRIBUTES', value: attributes.join(',') },
  ];
}
