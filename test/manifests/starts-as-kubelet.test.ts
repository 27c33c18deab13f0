/**
 * The rendered Deployment, started the way the kubelet would start it (stand-ins for the kubelet's volumes and the
 * container runtime, and for the API server): if the process cannot read its own mounted files, it never gets ready.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canStartContainers, startContainer } from '../helpers/container-start.js';
import { volumeFiles, writeVolume, type ClusterObjects, type PodContext } from '../helpers/kubelet-volumes.js';
import { freePort } from '../helpers/process.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';
import { find, manifestsWithCerts, render, type K8sObject } from './render.js';

// The built kubectl first: under CI=true its absence fails the run (haveRealParts throws), whatever the machine.
const hasKubectl = haveRealParts('kubectl');
const runnable = hasKubectl && canStartContainers;
if (hasKubectl && !runnable) {
  console.warn('skipping "starts as the kubelet would start it": needs root, unshare and chroot (CI runs as root)');
}

const NAMESPACE = 'aigw-otel-injector';
const TOKEN = 'stand-in-service-account-token';

function certsIn(dir: string) {
  execFileSync('bash', ['certs/generate.sh', '--out', dir, '--quiet']);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { 'tls.crt': read('tls.crt'), 'tls.key': read('tls.key'), 'ca.crt': read('ca.crt') };
}

/** The env as the kubelet resolves it for this manifest: values, and the downward-API fields the manifest uses. */
function resolveEnv(container: K8sObject, pod: PodContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env as { name: string; value?: string; valueFrom?: any }[]) {
    const field = e.valueFrom?.fieldRef?.fieldPath as string | undefined;
    if (field === 'metadata.namespace') env[e.name] = pod.namespace;
    else if (field === 'metadata.name') env[e.name] = pod.name;
    else if (e.value !== undefined) env[e.name] = e.value;
    else throw new Error(`env ${e.name}: source not emulated`);
  }
  return env;
}

describe.skipIf(!runnable)('the rendered Deployment starts as the kubelet would start it', () => {
  const api = new StandInApiServer();
  let apiCerts: Record<string, string>;
  let manifests: { root: string };

  beforeAll(async () => {
    manifests = manifestsWithCerts();
    apiCerts = certsIn(mkdtempSync(join(tmpdir(), 'aigw-apiserver-')));
    await api.start(0, { cert: apiCerts['tls.crt'] ?? '', key: apiCerts['tls.key'] ?? '' });
    api.setNamespace('ai-gateway', { 'aigw-otel.io/endpoint': 'https://collector:4317' });
  });
  afterAll(() => api.stop());

  it.each(['cert-manager', 'static-certs'])(
    '%s overlay: reads its TLS files and API credentials, gets ready',
    async (overlay) => {
      const dir =
        overlay === 'static-certs'
          ? join(manifests.root, 'manifests/overlays/static-certs')
          : `manifests/overlays/${overlay}`;
      const objects = render(dir);
      const deployment = find(objects, 'Deployment', 'aigw-otel-injector');
      const podSpec = deployment.spec.template.spec;
      const container = podSpec.containers[0];
      const security = { ...podSpec.securityContext, ...container.securityContext };
      const pod: PodContext = {
        namespace: NAMESPACE,
        name: 'aigw-otel-injector-7d9f8b6c5d-x2x4q',
        runAsUser: security.runAsUser,
        fsGroup: podSpec.securityContext?.fsGroup,
      };
      expect(security.runAsNonRoot).toBe(true);
      expect(security.runAsUser).not.toBe(0);

      // The serving Secret: rendered by the static-certs overlay, issued by cert-manager in the other.
      const rendered = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'aigw-otel-injector-tls');
      const serving = rendered
        ? Object.fromEntries(
            Object.entries(rendered.data).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()]),
          )
        : certsIn(mkdtempSync(join(tmpdir(), 'aigw-cert-manager-')));
      const cluster: ClusterObjects = {
        secrets: { 'aigw-otel-injector-tls': serving },
        configMaps: { 'kube-root-ca.crt': { 'ca.crt': apiCerts['ca.crt'] ?? '' } },
        serviceAccountToken: TOKEN,
      };
      const volumesDir = mkdtempSync(join(tmpdir(), 'aigw-kubelet-'));
      const mounts = (container.volumeMounts as { name: string; mountPath: string }[]).map((m) => {
        const volume = podSpec.volumes.find((v: { name: string }) => v.name === m.name);
        const from = join(volumesDir, m.name);
        mkdirSync(from);
        writeVolume(from, volumeFiles(volume, pod, cluster), pod);
        return { from, mountPath: m.mountPath };
      });

      // The manifest's env; only the ports are moved to free ones so parallel runs cannot collide.
      const [port, adminPort] = [await freePort(), await freePort()];
      const env = {
        ...resolveEnv(container, pod),
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        // What the kubelet sets for the API server's Service, and what the image sets.
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: String(api.port),
        HOSTNAME: pod.name,
        HOME: '/home/nonroot',
        NODE_ENV: 'production',
      };
      const running = startContainer({
        runAsUser: security.runAsUser,
        runAsGroup: security.runAsGroup,
        fsGroup: pod.fsGroup,
        readOnlyRootFilesystem: security.readOnlyRootFilesystem === true,
        mounts,
        env,
      });
      try {
        const ready = await readyWithin(adminPort, 20_000, () => running.child.exitCode !== null);
        expect(ready, `not ready; it said:\n${running.stderr()}\n${running.stdout().slice(-2000)}`).toBe(200);
        const calls = api.requests.filter((r) => r.path === '/api/v1/namespaces');
        expect(calls.length).toBeGreaterThan(0);
        for (const c of calls) expect(c.authorization).toBe(`Bearer ${TOKEN}`);
      } finally {
        running.child.kill('SIGTERM');
        await running.exited;
      }
    },
    40_000,
  );
});

/** The status of /readyz once it is 200, or the last one seen (0: no answer) when time runs out or the process died. */
async function readyWithin(port: number, ms: number, died: () => boolean): Promise<number> {
  const deadline = Date.now() + ms;
  let last = 0;
  while (Date.now() < deadline && !died()) {
    last = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (last === 200) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}
