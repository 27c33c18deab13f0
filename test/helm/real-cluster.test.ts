/**
 * The chart on the real control plane (test/helpers/control-plane.ts), with the real helm, as the README's
 * "Install with Helm" says: every rendering accepted by the API server (server-side dry run); `helm install`, and the
 * webhook, running as the chart's ServiceAccount, injects a Deployment's pod; `helm upgrade` with a changed value
 * keeps the certificates and every pod created meanwhile configured; `helm uninstall` removes the webhooks.
 *
 * As in test/helpers/cluster-install.ts, the webhook is this test process (there is no kubelet), so the API server
 * must reach it on 127.0.0.1: a helm --post-renderer (loopback-post-renderer.mjs) makes that one change to the
 * rendered webhook configurations, at every install and upgrade, and keeps the chart's caBundle. The process serves a
 * loopback certificate signed by the chart's own CA (from the Secret the chart made), so the chart's caBundle is what
 * the API server trusts throughout.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyObjects,
  containerEnv,
  reviewLines,
  untilReady,
  waitForWebhooks,
  type RunningInjector,
} from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { CHART, NAMESPACE, RELEASE, helmAsync, template } from '../helpers/helm.js';
import { startTestInjector } from '../helpers/injector.js';
import { freePort } from '../helpers/process.js';
import { haveRealParts } from '../helpers/real-parts.js';
import {
  CORE_IMAGE,
  GATEWAY_ANNOTATIONS,
  ENDPOINT,
  barePod,
  coreDeployment,
  gatewayNamespace,
  storedPods,
} from '../real-cluster/fixtures.js';
import { RENDER_CASES } from './cases.js';

const real = haveRealParts('helm', 'kubectl', 'kubeApiserver', 'kubeControllerManager', 'etcd');
const GATEWAY_NS = 'ai-gateway';
// Generous for a loaded 2-core machine: controllers, informers and helm all share it.
const SETTLE_MS = 60_000;

describe.skipIf(!real)('the chart on the real API server', () => {
  let cp: ControlPlane;
  // The webhook process and the post-renderer pointing the webhooks at it, from the install on.
  let injector: RunningInjector | undefined;
  let postRenderer = '';

  beforeAll(async () => {
    cp = await startControlPlane();
    // The README: the release namespace, labelled for the Pod Security level the injector's pods meet.
    await cp.kubectl(['create', 'namespace', NAMESPACE]);
    await cp.kubectl(['label', 'namespace', NAMESPACE, 'pod-security.kubernetes.io/enforce=restricted']);
  }, 180_000);
  afterAll(async () => {
    await injector?.stop();
    await cp?.stop();
  }, 60_000);

  it.each(RENDER_CASES)(
    '%s: every object accepted by the API server (server-side dry run)',
    async (_name, values) => {
      const objects = template(values);
      for (const ns of new Set(objects.map((o) => o.metadata.namespace).filter((n) => n && n !== NAMESPACE))) {
        await cp.kubectl(['create', 'namespace', String(ns)], { allowFailure: true });
      }
      const out = await applyObjects(cp, objects, ['--dry-run=server']);
      // kubectl prints one line per object: "<kind>/<name> serverside-applied (server dry run)".
      expect(out.trim().split('\n')).toHaveLength(objects.length);
      for (const line of out.trim().split('\n')) expect(line).toMatch(/\(server dry run\)$/);
    },
    120_000,
  );

  // The install, upgrade and uninstall below are one story, in order.
  const helmIn = (args: string[]) => helmAsync([...args, '--namespace', NAMESPACE, '--kubeconfig', cp.kubeconfigPath]);
  /** `helm upgrade` of the release as installed (its values and the post-renderer kept), with these `--set`s. */
  const upgradeSetting = (...settings: string[]) =>
    helmIn([
      'upgrade',
      RELEASE,
      CHART,
      '--reuse-values',
      '--post-renderer',
      postRenderer,
      ...settings.flatMap((v) => ['--set', v]),
    ]);

  it('helm install: NOTES say what to do next; the webhook, as the chart ServiceAccount, injects a Deployment pod', async () => {
    const port = await freePort();
    postRenderer = loopbackPostRenderer(port);
    const installed = await helmIn(['install', RELEASE, CHART, '--post-renderer', postRenderer]);
    expect(installed.status, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('kubectl annotate namespace');
    expect(installed.stdout).toContain('node dist/main.js status');

    // The webhook process: the chart Deployment's env, a token of the chart's ServiceAccount, a loopback
    // certificate signed by the CA the chart made.
    const deployment = await cp.getJson(['-n', NAMESPACE, 'get', 'deployment', RELEASE]);
    const pod = deployment.spec.template.spec;
    const token = (await cp.kubectl(['-n', NAMESPACE, 'create', 'token', pod.serviceAccountName])).stdout.trim();
    const { kubeConfig } = cp.tokenKubeConfig(token, 'chart-service-account');
    const tls = loopbackCertificate(await secretData(`${RELEASE}-ca`));
    const env = { HOSTNAME: `${RELEASE}-helm-test-0`, ...containerEnv(pod.containers[0], NAMESPACE) };
    const started = await startTestInjector(
      undefined,
      { ...env, PORT: String(port), ADMIN_PORT: '0', ...tls },
      { kubeConfig },
    );
    await untilReady(started, SETTLE_MS, "not ready as the chart's ServiceAccount");
    injector = { ...started, reviews: () => reviewLines(started.logs()) };
    await waitForWebhooks(cp, injector, SETTLE_MS);

    await gatewayNamespace(cp, GATEWAY_NS);
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(coreDeployment(GATEWAY_NS)) });
    const [stored] = await storedPods(cp, GATEWAY_NS, 'aigw');
    expect(stored.metadata.annotations?.['aigw-otel.io/injected']).toBe('core');
    expect(stored.spec.containers[0].env).toContainEqual({
      name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      value: ENDPOINT,
    });
    // The CA pre-flight ran with the chart's grant: the ConfigMap was found and its volume mounted.
    expect(stored.spec.volumes.map((v: { name: string }) => v.name)).toContain('collector-ca-volume');
    expect(injector.logs()).not.toContain('CA pre-flight failed');
  }, 240_000);

  it('helm upgrade with changed values: same certificates and caBundle, every pod created during it configured', async () => {
    expect(injector, 'needs the install above').toBeDefined();
    const before = await certificateState();
    expect(before.sameCa, 'both caBundles are the chart CA').toBe(true);

    const upgrade = upgradeSetting('webhook.timeoutSeconds=10', 'logLevel=debug');
    let done = false;
    void upgrade.then(() => (done = true));
    // Pods are created one after the other for as long as the upgrade runs, and once more after it.
    const created: string[] = [];
    let startedWhileUpgrading = 0;
    while (!done || created.length < 3) {
      if (!done) startedWhileUpgrading += 1;
      created.push(await createGatewayPod(`during-upgrade-${created.length}`));
    }
    const upgraded = await upgrade;
    expect(upgraded.status, upgraded.stderr).toBe(0);
    created.push(await createGatewayPod('after-upgrade'));
    expect(startedWhileUpgrading, 'pods were created while helm was upgrading').toBeGreaterThan(0);

    for (const name of created) {
      const pod = await cp.getJson(['-n', GATEWAY_NS, 'get', 'pod', name]);
      expect(pod.metadata.annotations?.['aigw-otel.io/injected'], name).toBe('core');
    }
    expect(await certificateState()).toEqual(before);
    const configs = await webhookConfigurations();
    expect(
      configs.map((c) => c.webhooks[0].timeoutSeconds),
      'the changed value reached both webhook configurations',
    ).toEqual([10, 10]);
    const deployment = await cp.getJson(['-n', NAMESPACE, 'get', 'deployment', RELEASE]);
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({ name: 'LOG_LEVEL', value: 'debug' });
  }, 240_000);

  it('helm upgrade within renewBeforeDays of expiry: a new serving certificate, signed by the same CA; caBundle kept', async () => {
    const before = await certificateState();
    // More than the certificate's validity (365 days): this upgrade is inside the renewal window.
    const renewed = await upgradeSetting('certificates.generate.renewBeforeDays=400');
    expect(renewed.status, renewed.stderr).toBe(0);
    const after = await certificateState();
    expect(after.tlsCrt).not.toBe(before.tlsCrt);
    expect(after.tlsKey).not.toBe(before.tlsKey);
    expect({ ...after, tlsCrt: '', tlsKey: '' }).toEqual({ ...before, tlsCrt: '', tlsKey: '' });
    expect(await createGatewayPod('after-renewal').then(injected)).toBe('core');
  }, 240_000);

  it('rbac.collectorCaPreflight=false: the grant is gone, and a missing CA ConfigMap is mounted anyway (what values.yaml says is lost)', async () => {
    const live = injector as RunningInjector;
    const missingCa = { ...GATEWAY_ANNOTATIONS, 'aigw-otel.io/ca-configmap': 'absent-ca' };
    const caVolume = async (ns: string, name: string) => {
      await cp.kubectl(['create', '-f', '-'], {
        input: JSON.stringify(barePod(name, ns, [{ name: 'aigw', image: CORE_IMAGE }])),
      });
      const pod = await cp.getJson(['-n', ns, 'get', 'pod', name]);
      expect(pod.metadata.annotations?.['aigw-otel.io/injected'], name).toBe('core');
      return (pod.spec.volumes as { name: string; configMap?: { name: string } }[]).find(
        (v) => v.name === 'collector-ca-volume',
      );
    };
    // With the grant (default): the pre-flight finds no ConfigMap, so no volume that would hang the pod.
    await gatewayNamespace(cp, 'with-preflight', missingCa);
    expect(await caVolume('with-preflight', 'checked')).toBeUndefined();

    const upgraded = await upgradeSetting('rbac.collectorCaPreflight=false');
    expect(upgraded.status, upgraded.stderr).toBe(0);
    const canGet = async () =>
      (
        await cp.kubectl(
          [
            'auth',
            'can-i',
            'get',
            'configmaps',
            '-n',
            'without-preflight',
            `--as=system:serviceaccount:${NAMESPACE}:${RELEASE}`,
          ],
          { allowFailure: true },
        )
      ).stdout.trim();
    await eventually(async () => (await canGet()) === 'no', SETTLE_MS, 'ConfigMap get still granted');

    // Without it: the GET is refused, the CA is injected as configured, and the pod would wait in ContainerCreating.
    await gatewayNamespace(cp, 'without-preflight', missingCa);
    expect(await caVolume('without-preflight', 'unchecked')).toMatchObject({ configMap: { name: 'absent-ca' } });
    expect(live.logs()).toMatch(/CA pre-flight failed.*absent-ca|absent-ca.*CA pre-flight failed/);
  }, 240_000);

  it('helm uninstall: both webhook configurations are gone, and a pod created afterwards is admitted untouched', async () => {
    expect(injector, 'needs the install above').toBeDefined();
    const uninstalled = await helmIn(['uninstall', RELEASE]);
    expect(uninstalled.status, uninstalled.stderr).toBe(0);
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      const left = await cp.kubectl(['get', kind, '-o', 'name'], {});
      expect(left.stdout, kind).not.toContain(RELEASE);
    }
    // The API server drops a deleted configuration through an informer: probes until it no longer calls.
    const live = injector as RunningInjector;
    await eventually(
      async () => {
        const probe = `probe-${Date.now()}`;
        await cp.kubectl(['create', '--dry-run=server', '-f', '-'], { input: JSON.stringify(gatewayPod(probe)) });
        return !live.reviews().some((r) => r.name === probe);
      },
      SETTLE_MS,
      'the API server still calls the webhook after uninstall',
    );
    const name = await createGatewayPod('after-uninstall');
    const pod = await cp.getJson(['-n', GATEWAY_NS, 'get', 'pod', name]);
    expect(pod.metadata.annotations?.['aigw-otel.io/injected']).toBeUndefined();
    expect(pod.spec.containers[0].env).toBeUndefined();
    expect(live.reviews().some((r) => r.name === name)).toBe(false);
  }, 240_000);

  /** The pieces an upgrade must not change: the chart's Secrets and the caBundle of both webhooks. */
  async function certificateState() {
    const tls = await secretData(`${RELEASE}-tls`);
    const ca = await secretData(`${RELEASE}-ca`);
    const configs = await webhookConfigurations();
    const caBundles = configs.map((c) => c.webhooks[0].clientConfig.caBundle as string);
    // The serving certificate the pods mount is signed by the CA in the caBundle, for the Service's name.
    const caCert = new X509Certificate(Buffer.from(String(caBundles[0]), 'base64'));
    const served = new X509Certificate(Buffer.from(String(tls['tls.crt']), 'base64'));
    expect(served.checkIssued(caCert) && served.verify(caCert.publicKey), 'tls.crt signed by the caBundle').toBe(true);
    expect(served.subjectAltName).toContain(`DNS:${RELEASE}.${NAMESPACE}.svc`);
    return {
      caCrt: ca['ca.crt'],
      caKey: ca['ca.key'],
      tlsCaCrt: tls['ca.crt'],
      tlsCrt: tls['tls.crt'],
      tlsKey: tls['tls.key'],
      caBundles,
      sameCa: caBundles.every((b) => b === ca['ca.crt']),
    };
  }

  function webhookConfigurations(): Promise<any[]> {
    return Promise.all(
      ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration'].map((k) => cp.getJson(['get', k, RELEASE])),
    );
  }

  async function secretData(name: string): Promise<Record<string, string>> {
    return (await cp.getJson(['-n', NAMESPACE, 'get', 'secret', name])).data;
  }

  function gatewayPod(name: string) {
    return barePod(name, GATEWAY_NS, [{ name: 'aigw', image: CORE_IMAGE }]);
  }

  async function createGatewayPod(name: string): Promise<string> {
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(gatewayPod(name)) });
    return name;
  }

  async function injected(name: string): Promise<string | undefined> {
    const pod = await cp.getJson(['-n', GATEWAY_NS, 'get', 'pod', name]);
    return pod.metadata.annotations?.['aigw-otel.io/injected'];
  }
});

/** The executable helm runs as --post-renderer: node with the loopback rewrite, for this port. */
function loopbackPostRenderer(port: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'aigw-post-renderer-')), 'loopback.sh');
  const script = resolve('test/helm/loopback-post-renderer.mjs');
  writeFileSync(file, `#!/bin/sh\nexec '${process.execPath}' '${script}' ${port}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A certificate for 127.0.0.1, signed by the chart's CA (the Secret's base64 ca.crt and ca.key), as env. */
function loopbackCertificate(ca: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-loopback-cert-'));
  const file = (name: string, b64: string | undefined) => {
    writeFileSync(join(dir, name), Buffer.from(String(b64), 'base64'));
    return join(dir, name);
  };
  const [caCrt, caKey] = [file('ca.crt', ca['ca.crt']), file('ca.key', ca['ca.key'])];
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'tls.key')]);
  run(['req', '-new', '-key', join(dir, 'tls.key'), '-subj', '/CN=127.0.0.1', '-out', join(dir, 'tls.csr')]);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  // One day: the test lasts minutes.
  run([
    'x509',
    '-req',
    '-in',
    join(dir, 'tls.csr'),
    '-CA',
    caCrt,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    join(dir, 'ext.cnf'),
    '-out',
    join(dir, 'tls.crt'),
  ]);
  expect(readFileSync(join(dir, 'tls.crt'), 'utf8')).toContain('BEGIN CERTIFICATE');
  return { TLS_CERT_FILE: join(dir, 'tls.crt'), TLS_KEY_FILE: join(dir, 'tls.key') };
}
