/**
 * What the tests read back from the API server: the Certificate's state, the caBundle cainjector wrote into each of
 * our webhooks, and whether the API server now calls them.
 */
import { X509Certificate } from 'node:crypto';
import type { ControlPlane } from '../../helpers/control-plane.js';
import type { Install } from './installs.js';
import type { InjectorProcess } from './injector-process.js';

/** Waits for cert-manager's Ready condition on the Certificate; fails with the Certificate's status otherwise. */
export async function certificateReady(cp: ControlPlane, install: Install, timeoutMs: number): Promise<void> {
  const r = await cp.kubectl(
    [
      '-n',
      install.namespace,
      'wait',
      '--for=condition=Ready',
      `certificate/${install.certificate}`,
      `--timeout=${Math.ceil(timeoutMs / 1000)}s`,
    ],
    { allowFailure: true, timeoutMs: timeoutMs + 10_000 },
  );
  if (r.code !== 0) {
    const state = await cp.kubectl(
      ['-n', install.namespace, 'get', 'certificate,certificaterequest,issuer', '-o', 'yaml'],
      {
        allowFailure: true,
      },
    );
    throw new Error(`Certificate ${install.certificate} not Ready: ${r.stderr}\n${state.stdout}`);
  }
}

/** The Secret cert-manager wrote, decoded. */
export async function issuedSecret(
  cp: ControlPlane,
  install: Install,
): Promise<{ tlsCrt: string; caCrt: string; serial: string; resourceVersion: string }> {
  const secret = await cp.getJson(['-n', install.namespace, 'get', 'secret', install.certificate]);
  const text = (k: string) => Buffer.from(String(secret.data?.[k] ?? ''), 'base64').toString();
  const tlsCrt = text('tls.crt');
  return {
    tlsCrt,
    caCrt: text('ca.crt'),
    serial: new X509Certificate(tlsCrt).serialNumber,
    resourceVersion: secret.metadata.resourceVersion,
  };
}

/** The caBundle (decoded) of every webhook in our MutatingWebhookConfiguration and ValidatingWebhookConfiguration. */
export async function caBundles(cp: ControlPlane, install: Install): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
    const config = await cp.getJson(['get', kind, install.webhookConfigurations]);
    for (const w of config.webhooks as { name: string; clientConfig: { caBundle?: string } }[]) {
      out[`${kind}/${w.name}`] = Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString();
    }
  }
  return out;
}

/**
 * The API server loads webhook configurations through an informer, and cainjector writes the caBundle after the
 * Secret exists: resolves once a server-side dry run of a pod reaches the mutating webhook and a namespace
 * annotation the validating one (both declare sideEffects: None).
 */
export async function untilBothWebhooksCalled(
  cp: ControlPlane,
  injector: InjectorProcess,
  timeoutMs: number,
): Promise<void> {
  const probe = 'cert-manager-probe';
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: probe, namespace: 'default' },
    spec: { containers: [{ name: 'aigw', image: 'private-registry.f5.com/aigw/aigw:v1.1.0' }] },
  };
  const called = (webhook: string, name: string) =>
    injector.reviews().some((r) => r.webhook === webhook && r.name === name);
  const deadline = Date.now() + timeoutMs;
  while (!called('mutate-pods', probe) || !called('validate-namespaces', 'default')) {
    if (Date.now() > deadline) throw new Error(`our webhooks not called in ${timeoutMs} ms:\n${injector.logs()}`);
    await cp.kubectl(['create', '--dry-run=server', '-f', '-'], { input: JSON.stringify(pod), allowFailure: true });
    await cp.kubectl(
      ['annotate', '--dry-run=server', 'namespace', 'default', 'aigw-otel.io/endpoint=https://probe:4317'],
      { allowFailure: true },
    );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Whether a new TLS connection from the API server would accept the certificate, as Go's crypto/x509 decides with the
 * caBundle as its roots: the certificate is itself one of them (a self-signed certificate; Go asks no keyCertSign of
 * a root), or one of them issued it and its signature checks out. (The name is the Service's DNS name, which the
 * certificate was issued for.)
 */
export function trustedBy(bundlePem: string, cert: X509Certificate): boolean {
  const pems = bundlePem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  return pems
    .map((p) => new X509Certificate(p))
    .some((ca) => ca.raw.equals(cert.raw) || (cert.issuer === ca.subject && cert.verify(ca.publicKey)));
}
