/**
 * The certificates of one test control plane, made with openssl for the run: a cluster CA, the API server's
 * serving certificate (127.0.0.1, localhost and the in-cluster names), an admin client certificate in the group
 * system:masters, and the service-account signing key pair. Used by test/helpers/control-plane.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ControlPlaneCerts {
  readonly caFile: string;
  readonly caPem: string;
  readonly apiserverCertFile: string;
  readonly apiserverKeyFile: string;
  readonly adminCertPem: string;
  readonly adminKeyPem: string;
  readonly serviceAccountKeyFile: string;
  readonly serviceAccountPublicKeyFile: string;
}

const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** `extraSans` (`IP:…`, `DNS:…`) are added to the API server's certificate: a node harness's bridge address. */
export function makeControlPlaneCerts(dir: string, extraSans: readonly string[] = []): ControlPlaneCerts {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ca.key'));
  openssl(
    ...['req', '-x509', '-new', '-key', f('ca.key'), '-sha256', '-days', '2', '-subj', '/CN=test-cluster-ca'],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ...['-out', f('ca.crt')],
  );
  const names = ['IP:127.0.0.1', 'IP:10.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default.svc'];
  const sans = [...names, ...extraSans].join(',');
  signed(dir, 'apiserver', '/CN=kube-apiserver', `extendedKeyUsage=serverAuth\nsubjectAltName=${sans}`);
  signed(dir, 'admin', '/O=system:masters/CN=test-admin', 'extendedKeyUsage=clientAuth');
  openssl('genrsa', '-out', f('sa.key'), '2048');
  openssl('rsa', '-in', f('sa.key'), '-pubout', '-out', f('sa.pub'));
  const read = (name: string) => readFileSync(f(name), 'utf8');
  return {
    caFile: f('ca.crt'),
    caPem: read('ca.crt'),
    apiserverCertFile: f('apiserver.crt'),
    apiserverKeyFile: f('apiserver.key'),
    adminCertPem: read('admin.crt'),
    adminKeyPem: read('admin.key'),
    serviceAccountKeyFile: f('sa.key'),
    serviceAccountPublicKeyFile: f('sa.pub'),
  };
}

/**
 * A key and a certificate signed by the cluster CA of `dir` (made by makeControlPlaneCerts): `<name>.key` and
 * `<name>.crt` in `dir`. `extensions` are openssl x509v3 lines (extendedKeyUsage, subjectAltName).
 */
export function signed(dir: string, name: string, subject: string, extensions: string): void {
  const f = (suffix: string) => join(dir, `${name}.${suffix}`);
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('key'));
  openssl('req', '-new', '-key', f('key'), '-subj', subject, '-out', f('csr'));
  writeFileSync(
    f('ext'),
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n${extensions}\n`,
  );
  openssl(
    ...['x509', '-req', '-in', f('csr'), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key')],
    ...['-CAcreateserial', '-days', '2', '-sha256', '-extfile', f('ext'), '-out', f('crt')],
  );
}
