/**
 * The injector as its own process (`node dist/main.js`, so its pid means something), in cluster mode, authenticated
 * as the ServiceAccount its Deployment names (a token from the TokenRequest API), with the Deployment's own
 * environment, serving the key pair cert-manager wrote into the Secret, from files kept in step with that Secret as
 * the kubelet keeps a Secret volume (./secret-volume.ts). Build first (`npm run build`).
 */
import type { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:tls';
import { containerEnv, reviewLines, type ReviewLine } from '../../helpers/cluster-install.js';
import type { ControlPlane } from '../../helpers/control-plane.js';
import { freePort, runMain, type Running } from '../../helpers/process.js';
import type { K8sObject } from '../../manifests/render.js';
import { mountSecret, type SecretVolume } from './secret-volume.js';

export interface InjectorProcess {
  readonly running: Running;
  readonly pid: number;
  readonly port: number;
  readonly adminUrl: string;
  readonly tls: SecretVolume;
  reviews(): ReviewLine[];
  logs(): string;
  /** The serial number (hex) of the certificate a new TLS connection is served, for the Service's DNS name. */
  servedSerial(serverName: string): Promise<string>;
  /** The certificate a new TLS connection is served, for the Service's DNS name. */
  servedCertificate(serverName: string): Promise<X509Certificate>;
  stop(): Promise<void>;
}

// A loaded 2-core machine: the first list of namespaces and the informers take seconds.
const READY_MS = 60_000;

export async function startInjectorProcess(
  cp: ControlPlane,
  deployment: K8sObject,
  port: number,
  options: { readonly env?: Record<string, string>; readonly secretLagMs?: number } = {},
): Promise<InjectorProcess> {
  if (!existsSync('dist/main.js')) throw new Error('dist/main.js missing: run `npm run build` first');
  const namespace = deployment.metadata.namespace as string;
  const pod = deployment.spec.template.spec;
  const tlsVolume = (pod.volumes as { name: string; secret?: { secretName: string } }[]).find((v) => v.name === 'tls');
  if (tlsVolume?.secret === undefined) throw new Error('the Deployment mounts no tls Secret volume');
  const tls = await mountSecret(cp, namespace, tlsVolume.secret.secretName, READY_MS, options.secretLagMs);
  const token = (
    await cp.kubectl(['-n', namespace, 'create', 'token', pod.serviceAccountName, '--duration=2h'])
  ).stdout.trim();
  const kubeconfig = cp.tokenKubeConfig(token, `${deployment.metadata.name}-process`).path;
  const adminPort = await freePort();
  const running = runMain({
    ...containerEnv(pod.containers[0], namespace),
    HOSTNAME: `${deployment.metadata.name}-cert-manager-test-0`,
    KUBECONFIG: kubeconfig,
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    TLS_CERT_FILE: tls.file('tls.crt'),
    TLS_KEY_FILE: tls.file('tls.key'),
    // The collector probe would resolve the fixtures' Collector host names through the machine's DNS server: tests
    // send traffic to loopback only (test/probe and test/real-cluster/collector-probe.test.ts turn it on).
    COLLECTOR_PROBE: 'false',
    ...options.env,
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const stop = async () => {
    if (running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGTERM');
      const timer = setTimeout(() => running.child.kill('SIGKILL'), 10_000);
      await running.exited;
      clearTimeout(timer);
    }
    tls.stop();
  };
  const deadline = Date.now() + READY_MS;
  while ((await fetch(`${adminUrl}/readyz`).catch(() => undefined))?.status !== 200) {
    if (running.child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`injector process not ready:\n${running.stderr()}${running.stdout()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    running,
    pid: running.child.pid ?? -1,
    port,
    adminUrl,
    tls,
    reviews: () => reviewLines(running.stdout()),
    logs: () => running.stdout() + running.stderr(),
    servedSerial: async (serverName) => (await served(port, serverName)).serialNumber,
    servedCertificate: (serverName) => served(port, serverName),
    stop,
  };
}

function served(port: number, servername: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    // Trust is the API server's business (it checks the caBundle); this only reads which certificate is served.
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert === undefined) reject(new Error('no certificate served'));
      else resolve(cert);
    });
    socket.once('error', reject);
  });
}
