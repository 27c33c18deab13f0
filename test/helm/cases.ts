/** The value sets the chart is linted, rendered and dry-run with: defaults, every switch on, and the rest. */
import { ALL_ON } from '../helpers/helm.js';

export const RENDER_CASES: [name: string, values: Record<string, unknown>][] = [
  ['default values', {}],
  ['every switch on', ALL_ON],
  [
    'every switch on, certificates from cert-manager with a ClusterIssuer of the user',
    {
      ...ALL_ON,
      certificates: { source: 'certManager', certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer' } } },
    },
  ],
  ['certificates from cert-manager, the chart self-signed Issuer', { certificates: { source: 'certManager' } }],
  [
    'every switch off: one replica (so no PDB), no CA pre-flight grant',
    { replicas: 1, rbac: { collectorCaPreflight: false }, podDisruptionBudget: { enabled: false } },
  ],
  [
    'every scheduling and image value set',
    {
      image: {
        repository: 'registry.example:5000/platform/aigw-otel-injector',
        tag: '0.1.0-rc1',
        // A digest of 64 hex digits, as registries print them (this one made up).
        digest: `sha256:${'ab'.repeat(32)}`,
        pullPolicy: 'Always',
        pullSecrets: ['regcred'],
      },
      replicas: 3,
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] },
            ],
          },
        },
      },
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' },
      ],
      priorityClassName: 'system-cluster-critical',
      podAnnotations: { 'example.com/team': 'platform' },
      podLabels: { 'example.com/tier': 'admission' },
      podSecurityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000 },
      logLevel: 'debug',
      extraEnv: [{ name: 'FILE_POLL_INTERVAL_MS', value: '5000' }],
      webhook: { failurePolicy: 'Fail', timeoutSeconds: 10, excludeNamespaces: ['ci-runners'] },
      monitoring: {
        serviceMonitor: { enabled: true, interval: '1m', labels: { release: 'prometheus' } },
        prometheusRule: { enabled: true, labels: { release: 'prometheus' } },
        dashboard: { enabled: true, namespace: 'monitoring' },
      },
    },
  ],
];
