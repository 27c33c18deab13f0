import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';

export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly notAfter: Date;
}

/** Reads a certificate and its key, refusing a pair that does not match or does not parse. */
export async function loadKeyPair(certFile: string, keyFile: string): Promise<KeyPair> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  const x509 = new X509Certificate(cert);
  if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error('certificate and key do not match');
  createSecureContext({ cert, key });
  return { cert, key, notAfter: new Date(x509.validTo) };
}
