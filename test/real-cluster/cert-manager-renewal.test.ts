/**
 * Renewal by the real cert-manager (test/harness/cert-manager), installed with the chart's defaults for
 * `certificates.source: certManager` but a short life: cert-manager's minimum `duration` is 1h and its minimum
 * `renewBefore` 5m (internal/apis/certmanager/validation, enforced by its webhook, which runs here), so duration 1h
 * with renewBefore 59m40s renews 20 s after each issuance, by cert-manager's own clock, as a real renewal does.
 *
 * As in a cluster, the injector's files lag behind the Secret (the kubelet refreshes a Secret volume within its sync
 * period plus cache TTL, up to about 90 s) while cainjector updates the caBundle within seconds: here by 10 s.
 *
 * Pods are created one after another throughout two renewals. None may fail, each must be configured (the webhook's
 * failurePolicy is Ignore: a failed call would admit the pod unconfigured, so "configured" is the check that counts),
 * and the injector process must serve each new certificate without a restart: same pid, new serial on the wire.
 * The API server keeps its connections to the webhook alive, so a pod admitted over an old connection proves nothing
 * about the new certificate: at every step the certificate served to a new connection must also be one the current
 * caBundle of both webhooks accepts. It is because cainjector adds the new CA to the caBundle and keeps the previous
 * one until it expires (internal/cainjector/bundle): with the chart's self-signed Issuer every renewal is a new CA,
 * and the injector, whose files lag behind, goes on serving the previous certificate meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  caBundles,
  certificateReady,
  issuedSecret,
  trustedBy,
  untilBothWebhooksCalled,
} from '../harness/cert-manager/checks.js';
import { startCertManager, type CertManager } from '../harness/cert-manager/components.js';
import { startInjectorProcess, type InjectorProcess } from '../harness/cert-manager/injector-process.js';
import { installChart, type Install } from '../harness/cert-manager/installs.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/process.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { CORE_IMAGE, barePod, gatewayNamespace } from './fixtures.js';

const real = haveRealParts(
  'helm',
  'kubectl',
  'kubeApiserver',
  'kubeControllerManager',
  'etcd',
  'certManagerController',
  'certManagerCainjector',
  'certManagerWebhook',
  'certManagerChart',
);
// Generous for a loaded 2-core machine: cert-manager, the control plane and the injector share it.
const SETTLE_MS = 90_000;
// cert-manager's minimum duration, and a renewBefore that renews 20 s after issuance (see the top of this file).
const SHORT_LIFE = { duration: '1h', renewBefore: '59m40s' };
// The kubelet's lag behind a changed Secret: well inside its real range, well behind cainjector.
const KUBELET_LAG_MS = 10_000;
// Two renewals 20 s apart, the kubelet's lag, and what cert-manager and cainjector take on a loaded machine.
const RENEWALS_MS = 180_000;

describe.skipIf(!real)('renewal by the real cert-manager while pods are created', () => {
  let cp: ControlPlane;
  let cm: CertManager | undefined;
  let install: Install | undefined;
  let injector: InjectorProcess | undefined;

  beforeAll(async () => {
    cp = await startControlPlane();
    cm = await startCertManager(cp);
    await gatewayNamespace(cp, 'ai-gateway');
  }, 300_000);
  afterAll(async () => {
    await injector?.stop();
    await cm?.stop();
    await cp?.stop();
  }, 60_000);

  it('two renewals: every pod created meanwhile is admitted and configured; the injector reloads, same pid', async () => {
    const port = await freePort();
    install = await installChart(cp, port, SHORT_LIFE);
    await certificateReady(cp, install, SETTLE_MS);
    const first = await issuedSecret(cp, install);
    const installed = install;
    await eventually(
      async () => Object.values(await caBundles(cp, installed)).every((b) => b.trim() === first.caCrt.trim()),
      SETTLE_MS,
      `caBundles not injected:\n${cm?.logTail('cainjector')}`,
    );
    injector = await startInjectorProcess(cp, await install.deployment(), port, { secretLagMs: KUBELET_LAG_MS });
    const live = injector;
    const pid = live.pid;
    const serverName = `${install.service}.${install.namespace}.svc`;
    await untilBothWebhooksCalled(cp, live, SETTLE_MS);

    // Pods one after another, until the injector has served two certificates after the first.
    const served = new Set<string>([await live.servedSerial(serverName)]);
    const results: { name: string; code: number; injected?: string; stderr: string }[] = [];
    const untrusted: string[] = [];
    const deadline = Date.now() + RENEWALS_MS;
    for (let i = 0; served.size < 3; i++) {
      if (Date.now() > deadline) {
        throw new Error(
          `fewer than two renewals served in ${RENEWALS_MS} ms (served ${[...served].join(', ')}):\n${cm?.logTail('controller')}`,
        );
      }
      const name = `during-renewal-${i}`;
      const r = await cp.kubectl(['create', '-o', 'json', '-f', '-'], {
        input: JSON.stringify(barePod(name, 'ai-gateway', [{ name: 'aigw', image: CORE_IMAGE }])),
        allowFailure: true,
      });
      const injected = r.code === 0 ? JSON.parse(r.stdout).metadata.annotations?.['aigw-otel.io/injected'] : undefined;
      results.push({ name, code: r.code, injected, stderr: r.stderr });
      const cert = await live.servedCertificate(serverName);
      served.add(cert.serialNumber);
      for (const [webhook, bundle] of Object.entries(await caBundles(cp, installed))) {
        if (!trustedBy(bundle, cert)) untrusted.push(`${name}: ${webhook} does not accept ${cert.serialNumber}`);
      }
    }

    expect(results.filter((r) => r.code !== 0)).toEqual([]);
    expect(results.filter((r) => r.injected !== 'core')).toEqual([]);
    expect(untrusted).toEqual([]);
    // Enough pods to span both renewals, not one on each side.
    expect(results.length).toBeGreaterThan(10);
    // The process that answered the first review is the one serving now: reloaded, never restarted.
    expect(live.running.child.exitCode).toBeNull();
    expect(live.pid).toBe(pid);
    const now = await issuedSecret(cp, install);
    expect(now.serial).not.toBe(first.serial);
    await eventually(
      async () => (await live.servedSerial(serverName)) === now.serial,
      SETTLE_MS,
      'last renewal not served',
    );
    expect(live.logs()).toContain('serving certificate reloaded');
    // What cainjector did: the first CA is still there beside the current one (neither has expired).
    for (const bundle of Object.values(await caBundles(cp, installed))) {
      expect(bundle).toContain(first.caCrt.trim());
      expect(bundle).toContain(now.caCrt.trim());
    }
  }, 600_000);
});
