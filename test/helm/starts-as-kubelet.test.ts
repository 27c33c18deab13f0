/**
 * The kubelet's file-ownership rules apply to the chart too (../shared/reference/real-cluster-facts.md): the chart's
 * rendered Deployment, with the certificate the chart made, started the way the kubelet would start it (volumes
 * written root-owned with the chart's modes and the group set to fsGroup, the process as runAsUser with fsGroup
 * among its groups, a read-only root). If the non-root process cannot read its own TLS key or token, it never gets
 * ready. As test/manifests/starts-as-kubelet.test.ts does for the kustomize overlays.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { find, type K8sObject } from '../manifests/render.js';
import { canStartContainers, startContainer } from '../helpers/container-start.js';
import { template } from '../helpers/helm.js';
import { kubeletEnv, kubeletMounts, readyWithin, whenStartedAsKubelet } from '../helpers/kubelet-start.js';
import type { PodContext } from '../helpers/kubelet-volumes.js';
import { freePort } from '../helpers/process.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';

const hasHelm = haveRealParts('helm');
const runnable = hasHelm && canStartContainers;
if (hasHelm && !runnable) {
  console.warn('skipping "the chart starts as the kubelet would": needs root, unshare and chroot (CI runs as root)');
}

const NAMESPACE = 'aigw-otel-injector';
const TOKEN = 'stand-in-service-account-token';
// How long the process may take to read its files, list namespaces and answer /readyz on a loaded machine.
const READY_MS = 20_000;

/** The pod's volumes written as the kubelet writes them, from the chart's own Secret; their host dirs and mount paths. */
function kubeletVolumes(objects: K8sObject[], pod: PodContext, apiCa: string) {
  const secret = find(objects, 'Secret', 'aigw-otel-injector-tls');
  const decoded = Object.fromEntries(
    Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
  );
  return kubeletMounts(find(objects, 'Deployment').spec.template.spec, pod, {
    secrets: { 'aigw-otel-injector-tls': decoded },
    configMaps: { 'kube-root-ca.crt': { 'ca.crt': apiCa } },
    serviceAccountToken: TOKEN,
  });
}

// The default values and auto-rollout on run on the real node (test/real-node/install.test.ts and
// telemetry.test.ts: the real kubelet wrote the files, the process read them as 65532). What stays here is what the
// real node does not run: a uid and fsGroup of a user's choosing, and the counter-case below (an unchanged chart's
// files with fsGroup taken away: the injector's consequence, in seconds, without a node start per case).
const CASES: [name: string, values: Record<string, unknown>][] = [
  [
    'another uid and an fsGroup that is not its gid',
    { podSecurityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000 } },
  ],
];

describe.skipIf(!runnable)('the chart Deployment starts as the kubelet would start it', () => {
  const api = new StandInApiServer();
  let apiCa = '';

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-apiserver-'));
    execFileSync('bash', ['certs/generate.sh', '--out', dir, '--quiet']);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    apiCa = read('ca.crt');
    await api.start(0, { cert: read('tls.crt'), key: read('tls.key') });
    api.setNamespace('ai-gateway', { 'aigw-otel.io/endpoint': 'https://collector:4317' });
  });
  afterAll(() => api.stop());

  it.each(CASES)(
    '%s: reads its TLS files and API credentials, gets ready',
    async (_name, values) => {
      const objects = template(values);
      const podSpec = find(objects, 'Deployment').spec.template.spec;
      const container = podSpec.containers[0];
      const security = { ...podSpec.securityContext, ...container.securityContext };
      expect(security.runAsNonRoot).toBe(true);
      expect(security.runAsUser).not.toBe(0);
      const pod: PodContext = {
        namespace: NAMESPACE,
        name: 'aigw-otel-injector-7d9f8b6c5d-x2x4q',
        runAsUser: security.runAsUser,
        fsGroup: podSpec.securityContext?.fsGroup,
      };

      const mounts = kubeletVolumes(objects, pod, apiCa);

      await whenStartedAsKubelet(
        { container, security, pod, mounts, apiPort: api.port },
        READY_MS,
        (ready, running) => {
          expect(ready, `not ready; it said:\n${running.stderr()}\n${running.stdout().slice(-2000)}`).toBe(200);
          const calls = api.requests.filter((r) => r.path === '/api/v1/namespaces');
          expect(calls.length).toBeGreaterThan(0);
          for (const c of calls) expect(c.authorization).toBe(`Bearer ${TOKEN}`);
        },
      );
    },
    40_000,
  );

  it('counter-case: the same files without fsGroup are unreadable, and the process never gets ready', async () => {
    const objects = template();
    const podSpec = find(objects, 'Deployment').spec.template.spec;
    const container = podSpec.containers[0];
    // What a chart without the schema's fsGroup requirement would have run: the files root-owned, group root.
    const pod: PodContext = { namespace: NAMESPACE, name: 'no-fsgroup', runAsUser: podSpec.securityContext.runAsUser };
    const mounts = kubeletVolumes(objects, pod, apiCa);
    const adminPort = await freePort();
    const running = startContainer({
      runAsUser: podSpec.securityContext.runAsUser,
      runAsGroup: podSpec.securityContext.runAsGroup,
      readOnlyRootFilesystem: true,
      mounts,
      env: {
        ...kubeletEnv(container, pod),
        PORT: String(await freePort()),
        ADMIN_PORT: String(adminPort),
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: String(api.port),
        HOME: '/home/nonroot',
      },
    });
    try {
      // Whichever comes first: the process exits on the unreadable key, or READY_MS pass without a 200.
      const ready = await readyWithin(adminPort, READY_MS, () => running.child.exitCode !== null);
      expect(ready).not.toBe(200);
      expect(running.stderr() + running.stdout()).toMatch(/EACCES|permission denied/i);
    } finally {
      running.child.kill('SIGTERM');
      await running.exited;
    }
  }, 40_000);
});
