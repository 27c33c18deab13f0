/**
 * The rendered Deployment, started the way the kubelet would start it (stand-ins for the kubelet's volumes and the
 * container runtime, and for the API server): if the process cannot read its own mounted files, it never gets ready.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canStartContainers } from '../helpers/container-start.js';
import { kubeletMounts, whenStartedAsKubelet } from '../helpers/kubelet-start.js';
import type { PodContext } from '../helpers/kubelet-volumes.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';
import { find, manifestsWithCerts, render } from './render.js';

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
      const mounts = kubeletMounts(podSpec, pod, {
        secrets: { 'aigw-otel-injector-tls': serving },
        configMaps: { 'kube-root-ca.crt': { 'ca.crt': apiCerts['ca.crt'] ?? '' } },
        serviceAccountToken: TOKEN,
      });

      await whenStartedAsKubelet({ container, security, pod, mounts, apiPort: api.port }, 20_000, (ready, running) => {
        expect(ready, `not ready; it said:\n${running.stderr()}\n${running.stdout().slice(-2000)}`).toBe(200);
        const calls = api.requests.filter((r) => r.path === '/api/v1/namespaces');
        expect(calls.length).toBeGreaterThan(0);
        for (const c of calls) expect(c.authorization).toBe(`Bearer ${TOKEN}`);
      });
    },
    40_000,
  );
});
