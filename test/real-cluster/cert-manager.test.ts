/**
 * The real cert-manager (v1.21.2: controller, cainjector, webhook, its own CRDs and RBAC; test/harness/cert-manager)
 * issues our serving certificate and injects its CA, for each way the README installs with cert-manager: the chart
 * with `certificates.source: certManager` and its own self-signed Issuer, the chart with a user's CA Issuer, and the
 * kustomize `cert-manager` overlay. For each: the Certificate becomes Ready, cainjector writes the Secret's CA into
 * both webhook configurations, and the API server, trusting only that caBundle and checking the certificate against
 * the Service's DNS name, calls our webhook: a pod is configured, and a bad namespace annotation is refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caBundles, certificateReady, issuedSecret, untilBothWebhooksCalled } from '../harness/cert-manager/checks.js';
import { startCertManager, type CertManager } from '../harness/cert-manager/components.js';
import { startInjectorProcess, type InjectorProcess } from '../harness/cert-manager/injector-process.js';
import { installChart, installOverlay, userCaIssuer, type Install } from '../harness/cert-manager/installs.js';
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

/** A CA of the user's own (openssl, as cert-manager's CA Issuer docs make one). */
function userCa(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-user-ca-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=user-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      join(dir, 'ca.key'),
      '-out',
      join(dir, 'ca.crt'),
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
}

type InstallCase = [name: string, install: (cp: ControlPlane, port: number) => Promise<Install>, ca?: () => string];

const ca = real ? userCa() : { cert: '', key: '' };
const CASES: InstallCase[] = [
  ["chart, certificates.source=certManager with the chart's self-signed Issuer", (cp, port) => installChart(cp, port)],
  [
    "chart, certificates.source=certManager with the user's CA Issuer",
    (cp, port) =>
      installChart(cp, port, { issuerRef: { name: 'user-ca', kind: 'Issuer' } }, userCaIssuer(ca.cert, ca.key)),
    () => ca.cert,
  ],
  ['kustomize cert-manager overlay', (cp, port) => installOverlay(cp, port)],
];

describe.skipIf(!real)('the real cert-manager issues and injects our certificate', () => {
  let cp: ControlPlane;
  let cm: CertManager | undefined;
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

  it.each(CASES)(
    '%s: Ready, CA in both webhooks, the API server calls them',
    async (name, install, expectedCa) => {
      const port = await freePort();
      const installed = await install(cp, port);
      try {
        await certificateReady(cp, installed, SETTLE_MS);
        const secret = await issuedSecret(cp, installed);
        if (expectedCa !== undefined) expect(secret.caCrt.trim()).toBe(expectedCa().trim());

        // cainjector: the Secret's CA, in every webhook of both configurations.
        await eventually(
          async () => Object.values(await caBundles(cp, installed)).every((b) => b.trim() === secret.caCrt.trim()),
          SETTLE_MS,
          `caBundles not injected:\n${cm?.logTail('cainjector')}`,
        );
        const bundles = await caBundles(cp, installed);
        expect(Object.keys(bundles).sort()).toEqual([
          'mutatingwebhookconfiguration/pods.aigw-otel.io',
          'validatingwebhookconfiguration/namespaces.aigw-otel.io',
        ]);

        // The injector serves the key pair cert-manager issued; the API server trusts it through the caBundle only.
        injector = await startInjectorProcess(cp, await installed.deployment(), port);
        expect(await injector.servedSerial(`${installed.service}.${installed.namespace}.svc`)).toBe(secret.serial);
        await untilBothWebhooksCalled(cp, injector, SETTLE_MS);

        const pod = `configured-${CASES.findIndex(([n]) => n === name)}`;
        await cp.kubectl(['create', '-f', '-'], {
          input: JSON.stringify(barePod(pod, 'ai-gateway', [{ name: 'aigw', image: CORE_IMAGE }])),
        });
        const stored = await cp.getJson(['-n', 'ai-gateway', 'get', 'pod', pod]);
        expect(stored.metadata.annotations?.['aigw-otel.io/injected']).toBe('core');

        const refused = await cp.kubectl(
          ['annotate', '--overwrite', 'namespace', 'ai-gateway', 'aigw-otel.io/metric-export-interval=soon'],
          { allowFailure: true },
        );
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain('admission webhook "namespaces.aigw-otel.io" denied the request');
      } finally {
        await injector?.stop();
        injector = undefined;
        await installed.uninstall();
      }
    },
    400_000,
  );

  it("cert-manager's own webhook judges cert-manager objects (its caBundle from cainjector)", async () => {
    const invalid = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'too-short', namespace: 'default' },
      spec: { secretName: 'x', duration: '10m', dnsNames: ['x'], issuerRef: { name: 'none' } },
    };
    const r = await cp.kubectl(['create', '--dry-run=server', '-f', '-'], {
      input: JSON.stringify(invalid),
      allowFailure: true,
    });
    expect(r.stderr).toContain('certificate duration must be greater than 1h0m0s');
    expect(r.stderr).toContain('admission webhook "webhook.cert-manager.io" denied the request');
  });
});
