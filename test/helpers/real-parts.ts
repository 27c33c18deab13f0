import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where test/real/build.sh put the real parts (control plane, kubectl, etcd, helm, Collector, SDK programs), as
 * the script itself says: it reads test/real/versions.env and the same overrides, so the two never disagree.
 */
const cache = execFileSync('bash', ['test/real/build.sh', '--print'], { encoding: 'utf8' }).trim();

const names = [
  'KUBE_VERSION',
  'ETCD_VERSION',
  'HELM_VERSION',
  'OTELCOL_VERSION',
  'OTEL_GO_VERSION',
  'OTEL_PY_VERSION',
  'CERT_MANAGER_VERSION',
  'CONTAINERD_VERSION',
  'PROMETHEUS_VERSION',
] as const;
type VersionName = (typeof names)[number];

const printed = execFileSync(
  'bash',
  ['-c', `source test/real/versions.env && echo ${names.map((n) => `"$${n}"`).join(' ')}`],
  { encoding: 'utf8' },
)
  .trim()
  .split(' ');

/** The versions in force for this run (test/real/versions.env and its environment overrides). */
export const realVersions = Object.fromEntries(names.map((n, i) => [n, printed[i] ?? ''])) as Record<
  VersionName,
  string
>;

const at = (part: string, version: string, ...file: string[]) => join(cache, `${part}-${version}`, ...file);

/** Absolute paths of the built binaries and programs, whether or not they exist yet. */
export const realPaths = {
  kubeApiserver: at('kubernetes', realVersions.KUBE_VERSION, 'kube-apiserver'),
  kubeControllerManager: at('kubernetes', realVersions.KUBE_VERSION, 'kube-controller-manager'),
  kubectl: at('kubernetes', realVersions.KUBE_VERSION, 'kubectl'),
  etcd: at('kubernetes', realVersions.KUBE_VERSION, 'etcd'),
  helm: at('helm', realVersions.HELM_VERSION, 'helm'),
  otelcol: at('otelcol', realVersions.OTELCOL_VERSION, 'otelcol'),
  /** The Go program standing for AI Gateway core's telemetry set-up (test/real/sdk-go). */
  goCore: at('sdk-go', realVersions.OTEL_GO_VERSION, 'aigw-core-sdk'),
  /** The virtualenv's python with opentelemetry-sdk, for the processor program (test/real/sdk-python). */
  python: at('sdk-python', realVersions.OTEL_PY_VERSION, 'venv', 'bin', 'python'),
  /** The real node (test/harness/node): kubelet, kube-scheduler, kube-proxy, containerd 2.x and ctr. */
  kubelet: at('node', realVersions.KUBE_VERSION, 'kubelet'),
  kubeScheduler: at('node', realVersions.KUBE_VERSION, 'kube-scheduler'),
  kubeProxy: at('node', realVersions.KUBE_VERSION, 'kube-proxy'),
  containerd: at('containerd', realVersions.CONTAINERD_VERSION, 'containerd'),
  ctr: at('containerd', realVersions.CONTAINERD_VERSION, 'ctr'),
  /** The node's image archives (test/real/parts/72-node-images.sh) and the injector's (60-image.sh). */
  pauseImage: join(cache, 'node-images', 'pause.tar'),
  busyboxImage: join(cache, 'node-images', 'busybox.tar'),
  otelcolImage: join(cache, 'node-images', 'otelcol.tar'),
  coreImage: join(cache, 'node-images', 'core.tar'),
  processorImage: join(cache, 'node-images', 'processor.tar'),
  injectorImage: join(cache, 'image', 'aigw-otel-injector.tar'),
  /** cert-manager's controller, cainjector and webhook (test/real/cert-manager), and its Helm chart beside them. */
  certManagerController: at('cert-manager', realVersions.CERT_MANAGER_VERSION, 'bin', 'controller'),
  certManagerCainjector: at('cert-manager', realVersions.CERT_MANAGER_VERSION, 'bin', 'cainjector'),
  certManagerWebhook: at('cert-manager', realVersions.CERT_MANAGER_VERSION, 'bin', 'webhook'),
  certManagerChart: at('cert-manager', realVersions.CERT_MANAGER_VERSION, 'chart', 'Chart.yaml'),
  /** promtool and the Prometheus server (test/real/prometheus), for test/prometheus. */
  promtool: at('prometheus', realVersions.PROMETHEUS_VERSION, 'promtool'),
  prometheus: at('prometheus', realVersions.PROMETHEUS_VERSION, 'prometheus'),
};

export type RealPart = keyof typeof realPaths;

/**
 * Whether the named parts are built. Under CI=true a missing part is an error, never a skip: the suite must
 * prove what it claims. Elsewhere the caller skips, and this prints one line saying how to build them.
 */
export function haveRealParts(...parts: RealPart[]): boolean {
  const missing = parts.filter((p) => !existsSync(realPaths[p]));
  if (missing.length === 0) return true;
  const how = `missing real parts (${missing.join(', ')}) in ${cache}: build them with \`bash test/real/build.sh\``;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${how}`);
  console.warn(`skipping: ${how}`);
  return false;
}
