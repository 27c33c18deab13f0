/**
 * The collector probe (src/probe/connect.ts, classified by src/core/collector-probe.ts) against a real OpenTelemetry
 * Collector (test/real/otelcol), each result made by its fault: a CA that did not sign the Collector's certificate, a
 * certificate for another name, an expired one, a closed port, a Collector that requires client certificates (mTLS;
 * the injector never reads the client-cert Secret, so it cannot present one) — and ok over TLS (gRPC and OTLP/HTTP)
 * and over plain http. Certificates are made for the run with openssl; everything listens on loopback.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult, ProbeTarget } from '../../src/core/collector-probe.js';
import { probeEndpoint } from '../../src/probe/connect.js';
import { startCollector, type RealCollector } from '../helpers/collector.js';
import { freePort } from '../helpers/process.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { serverPki, signedCert } from '../helpers/telemetry-run.js';

// Far above a loopback handshake (milliseconds) on a loaded two-core machine; the timeout case is not made here.
const TIMEOUT_MS = 5000;

/** A server certificate for localhost that expired yesterday, signed by the CA `serverPki` left in `dir`. */
function expiredCert(dir: string): { cert: string; key: string } {
  const file = (ext: string) => join(dir, `expired.${ext}`);
  writeFileSync(file('ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file('key')]);
  execFileSync('openssl', ['req', '-new', '-key', file('key'), '-subj', '/CN=localhost', '-out', file('csr')]);
  const ca = ['-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial'];
  // -days -1: not after = a day ago (not before = now), so every verifier reports it expired.
  const out = ['-days', '-1', '-sha256', '-extfile', file('ext'), '-out', file('crt')];
  execFileSync('openssl', ['x509', '-req', '-in', file('csr'), ...ca, ...out], { stdio: 'ignore' });
  return { cert: readFileSync(file('crt'), 'utf8'), key: readFileSync(file('key'), 'utf8') };
}

const target = (url: string, grpc = true): ProbeTarget => {
  const u = new URL(url);
  const host = u.hostname;
  return { endpoint: url, host, dialHost: host, port: Number(u.port), tls: u.protocol === 'https:', grpc };
};

describe.skipIf(!haveRealParts('otelcol'))('the collector probe against a real Collector', () => {
  let ca: string;
  let otherCa: string;
  let good: RealCollector;
  let wrongName: RealCollector;
  let expired: RealCollector;
  let mtls: RealCollector;
  let plain: RealCollector;
  let closedPort: number;

  beforeAll(async () => {
    const pki = serverPki();
    ca = pki.ca;
    otherCa = serverPki('someone-else').ca;
    const elsewhere = signedCert(pki.dir, 'elsewhere', 'elsewhere.example', ['subjectAltName=DNS:elsewhere.example']);
    [good, wrongName, expired, mtls, plain] = await Promise.all([
      startCollector({ cert: pki.cert, key: pki.key }),
      startCollector(elsewhere),
      startCollector(expiredCert(pki.dir)),
      startCollector({ cert: pki.cert, key: pki.key, clientCa: pki.ca }),
      startCollector({ cert: '', key: '', plaintext: true }),
    ]);
    closedPort = await freePort();
  }, 60_000);
  afterAll(async () => {
    await Promise.all([good, wrongName, expired, mtls, plain].map((c) => c?.stop()));
  });

  const cases: [string, () => [ProbeTarget, string | undefined], ProbeResult, RegExp][] = [
    ['gRPC over TLS with the right CA', () => [target(`https://localhost:${good.grpcPort}`), ca], 'ok', /reachable/],
    [
      'gRPC over TLS to 127.0.0.1 (an IP SAN)',
      () => [target(`https://127.0.0.1:${good.grpcPort}`), ca],
      'ok',
      /reachable/,
    ],
    [
      'OTLP/HTTP over TLS with the right CA',
      () => [target(`https://localhost:${good.httpPort}`, false), ca],
      'ok',
      /reachable/,
    ],
    ['plain http: a TCP connect', () => [target(`http://localhost:${plain.grpcPort}`), undefined], 'ok', /reachable/],
    [
      'a CA that did not sign the certificate',
      () => [target(`https://localhost:${good.grpcPort}`), otherCa],
      'tls-unknown-authority',
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    ],
    [
      'no CA ConfigMap: the public roots do not know a private CA',
      () => [target(`https://localhost:${good.grpcPort}`), undefined],
      'tls-unknown-authority',
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    ],
    [
      'a certificate for another name',
      () => [target(`https://localhost:${wrongName.grpcPort}`), ca],
      'tls-name-mismatch',
      /ERR_TLS_CERT_ALTNAME_INVALID/,
    ],
    [
      'an expired certificate',
      () => [target(`https://localhost:${expired.grpcPort}`), ca],
      'tls-expired',
      /CERT_HAS_EXPIRED/,
    ],
    [
      'a closed port',
      () => [target(`https://localhost:${closedPort}`), ca],
      'unreachable',
      /connection refused \(ECONNREFUSED\)/,
    ],
    [
      'a closed port over plain http',
      () => [target(`http://127.0.0.1:${closedPort}`), undefined],
      'unreachable',
      /ECONNREFUSED/,
    ],
    [
      'gRPC to a Collector that requires client certificates',
      () => [target(`https://localhost:${mtls.grpcPort}`), ca],
      'client-certificate-required',
      /CERTIFICATE_REQUIRED/,
    ],
    [
      'OTLP/HTTP to a Collector that requires client certificates',
      () => [target(`https://localhost:${mtls.httpPort}`, false), ca],
      'client-certificate-required',
      /CERTIFICATE_REQUIRED/,
    ],
  ];

  it.each(cases)('%s → %s', async (_name, make, result, reason) => {
    const [t, withCa] = make();
    const outcome = await probeEndpoint(t, withCa, TIMEOUT_MS);
    expect(outcome.result).toBe(result);
    expect(outcome.reason).toMatch(reason);
  });
});
