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
import { find, render } from './render.js';

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

  beforeAll(async () => {
    apiCerts = certsIn(mkdtempSync(join(tmpdir(), 'aigw-apiserver-')));
    await api.start(0, { cert: apiCerts['tls.crt'] ?? '', key: apiCerts['tls.key'] ?? '' });
    api.setNamespace('ai-gateway', { 'aigw-otel.io/endpoint': 'https://collector:4317' });
  });
  afterAll(() => api.stop());

  // The static-certs overlay runs on the real node (test/real-node/install.test.ts: its Secret written by the real
  // kubelet, read by the process as 65532); the cert-manager overlay does not (no cert-manager on the node), so its
  // file modes are checked here.
  it('cert-manager overlay: reads its TLS files and API credentials, gets ready', async () => {
    const objects = render('manifests/overlays/cert-manager');
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

    // The serving Secret cert-manager issues (not rendered): the same three keys.
    expect(objects.some((o) => o.kind === 'Secret' && o.metadata.name === 'aigw-otel-injector-tls')).toBe(false);
    const serving = certsIn(mkdtempSync(join(tmpdir(), 'aigw-cert-manager-')));
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
  }, 40_000);
});
