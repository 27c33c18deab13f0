/** A realistic ~8 KB review of an AI Gateway core pod, as a Helm-installed release makes it. */
import { container, CORE_IMAGE, pod, review } from '../test/fixtures/pods.js';

export function coreReview8k(namespace: string): Record<string, unknown> {
  const env = [
    ...Array.from({ length: 24 }, (_, i) => ({ name: `AIGW_SETTING_${i}`, value: `value-${i}-${'x'.repeat(32)}` })),
    { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'aigw-secrets', key: 'openai' } } },
  ];
  const p = pod({
    annotations: {
      'checksum/config': 'a3f1c2e9b8d7'.repeat(5),
      'kubectl.kubernetes.io/restartedAt': '2026-11-28T09:14:07Z',
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '4141',
    },
    volumes: [
      { name: 'config', configMap: { name: 'aigw-config', defaultMode: 420 } },
      { name: 'tls', secret: { secretName: 'aigw-tls', defaultMode: 420 } },
    ],
    containers: [
      {
        ...container({
          name: 'aigw',
          image: CORE_IMAGE,
          env,
          mounts: [
            { name: 'config', mountPath: '/etc/aigw', readOnly: true },
            { name: 'tls', mountPath: '/etc/aigw/tls', readOnly: true },
          ],
        }),
        args: ['--config', '/etc/aigw/aigw.yaml'],
        livenessProbe: {
          httpGet: { path: '/healthz', port: 4141, scheme: 'HTTP' },
          periodSeconds: 10,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        },
        readinessProbe: {
          httpGet: { path: '/readyz', port: 4141, scheme: 'HTTP' },
          periodSeconds: 5,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        },
        securityContext: {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          readOnlyRootFilesystem: true,
        },
      },
    ],
  });
  const managed = p.metadata?.managedFields as unknown[];
  for (let i = 0; i < 9; i++) {
    managed.push({
      manager: `helm-${i}`,
      operation: 'Update',
      apiVersion: 'v1',
      time: '2026-11-28T09:14:07Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:annotations': { '.': {}, 'f:checksum/config': {} } },
        'f:spec': { 'f:containers': { 'k:{"name":"aigw"}': { '.': {}, 'f:env': {} } } },
      },
    });
  }
  return review(p, { uid: 'bench-uid-0001', namespace });
}
