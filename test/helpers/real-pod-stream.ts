/**
 * A steady stream of AI Gateway pod creates through the real API server, one at a time, for tests that change
 * something under load (certificate rotation): every pod the API server stored during the change can then be read
 * back. Also: the TCP connections the API server holds to a webhook port, and TLS helpers for a rotation.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from './control-plane.js';

export interface PodStream {
  /** Pods created so far (the API server answered 201). */
  created(): number;
  /** Creates the API server refused or that failed. */
  errors(): string[];
  /** `n` creates at once, beside the stream: more than the API server's idle connections, so it opens new ones. */
  burst(n: number): Promise<void>;
  /** Stops after the create under way; resolves then. */
  stop(): Promise<void>;
}

/** Creates pods from `podOf(i)` one after another until stopped. */
export function podStream(cp: ControlPlane, namespace: string, podOf: (i: number) => object): PodStream {
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  let stopped = false;
  let created = 0;
  const errors: string[] = [];
  let next = 0;
  const createOne = async () => {
    try {
      await core.createNamespacedPod({ namespace, body: podOf(next++) });
      created++;
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  };
  const running = (async () => {
    while (!stopped) await createOne();
  })();
  return {
    created: () => created,
    errors: () => errors,
    burst: async (n) => {
      await Promise.all(Array.from({ length: n }, createOne));
    },
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

/**
 * The remote ends of the established TCP connections to a local port, from /proc/net/tcp and tcp6 (a server
 * listening on `::`, as ours does, takes the API server's IPv4 connections there).
 */
export function peersOf(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const rows = ['/proc/net/tcp', '/proc/net/tcp6']
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/));
  // State 01: ESTABLISHED.
  return new Set(rows.filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '01').map((f) => f[2] ?? ''));
}

/** The SHA-256 fingerprint of the certificate a TLS server on 127.0.0.1 presents now. */
export function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** The SHA-256 fingerprint of a PEM certificate file, as Node prints it. */
export function fileFingerprint(certFile: string): string {
  const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', certFile], {
    encoding: 'utf8',
  });
  return out.trim().split('=')[1] ?? '';
}

/**
 * A new serving certificate in `dir` with the project's script: renewed under the CA of `from` (its ca.crt and
 * ca.key copied in), or under a brand-new CA.
 */
export function newServingCertificate(
  dir: string,
  from: string | undefined,
): { certFile: string; keyFile: string; caPem: string } {
  if (from !== undefined) cpSync(from, dir, { recursive: true });
  const args = ['certs/generate.sh', '--out', dir, '--quiet', ...(from === undefined ? [] : ['--reuse-ca'])];
  execFileSync('bash', args);
  return { certFile: `${dir}/tls.crt`, keyFile: `${dir}/tls.key`, caPem: readFileSync(`${dir}/ca.crt`, 'utf8') };
}
