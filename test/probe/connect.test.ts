/**
 * The probe's socket work against servers made here for the faults a real Collector cannot be made to show (it is
 * tested against one in real-collector.test.ts): a server that accepts TCP and says nothing (the timeout), one that
 * completes TLS but never HTTP/2, one that does not speak HTTP/2 at all, one that closes without answering, and
 * TLS 1.2 servers that require a client certificate. Everything on loopback; certificates from certs/generate.sh.
 */
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeTarget } from '../../src/core/collector-probe.js';
import { probeEndpoint } from '../../src/probe/connect.js';
import { serverPki } from '../helpers/telemetry-run.js';

// Short: these servers never answer, and the probe must give up on its own deadline.
const SHORT_MS = 300;
// Far above a loopback handshake on a loaded machine, for the cases that do answer.
const LONG_MS = 5000;

const servers: Server[] = [];
const sockets = new Set<Socket>();
async function listen(server: Server): Promise<number> {
  servers.push(server);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

const target = (port: number, tls = true, grpc = true): ProbeTarget => ({
  endpoint: `https://localhost:${port}`,
  host: 'localhost',
  dialHost: 'localhost',
  port,
  tls,
  grpc,
});

describe('the probe against servers that misbehave', () => {
  let ca: string;
  let tlsOptions: TlsOptions;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    const pki = serverPki();
    ca = pki.ca;
    tlsOptions = { cert: pki.cert, key: pki.key };
    ports.silent = await listen(createNetServer(() => undefined));
    ports.closes = await listen(createNetServer((s) => s.end()));
    // TLS with h2 negotiated, then nothing: no SETTINGS frame ever comes.
    ports.noSettings = await listen(createTlsServer({ ...tlsOptions, ALPNProtocols: ['h2'] }, () => undefined));
    // TLS that ignores ALPN: the handshake completes without h2.
    ports.noAlpn = await listen(createTlsServer(tlsOptions, () => undefined));
    const mtls12 = { ...tlsOptions, maxVersion: 'TLSv1.2' as const, requestCert: true, rejectUnauthorized: true, ca };
    ports.mtls12 = await listen(createTlsServer({ ...mtls12, ALPNProtocols: ['h2', 'http/1.1'] }, () => undefined));
    // TLS 1.2 with no client certificate asked for: done at the handshake.
    ports.tls12 = await listen(createTlsServer({ ...tlsOptions, maxVersion: 'TLSv1.2' }, () => undefined));
  });

  it.each([
    {
      name: 'TCP accepted, TLS never answered',
      server: 'silent',
      grpc: true,
      timeoutMs: SHORT_MS,
      outcome: { result: 'unreachable', reason: `no answer within ${SHORT_MS} ms (TLS handshake)` },
    },
    {
      name: 'TLS done, no SETTINGS frame',
      server: 'noSettings',
      grpc: true,
      timeoutMs: SHORT_MS,
      outcome: { result: 'unreachable', reason: `no answer within ${SHORT_MS} ms (HTTP/2 preface)` },
    },
    {
      name: 'TLS done, no HTTP/2',
      server: 'noAlpn',
      grpc: true,
      timeoutMs: LONG_MS,
      outcome: { result: 'failed', reason: 'the endpoint does not speak HTTP/2, so not gRPC (NO_ALPN_H2)' },
    },
    {
      name: 'closed at once',
      server: 'closes',
      grpc: true,
      timeoutMs: LONG_MS,
      outcome: { result: 'failed', reason: expect.stringMatching(/^TLS handshake failed \(E[A-Z_]+\)$/) },
    },
    {
      name: 'TLS 1.2 and a client certificate required (OpenSSL)',
      server: 'mtls12',
      grpc: true,
      timeoutMs: LONG_MS,
      outcome: {
        result: 'failed',
        // OpenSSL's code for the handshake_failure alert, as this Node's OpenSSL spells it (SSLV3_ or SSL/TLS_).
        reason: expect.stringMatching(
          /^the server refused the handshake: no common protocol or cipher, or a client certificate it requires \(ERR_SSL_[A-Z0-9/]+_ALERT_HANDSHAKE_FAILURE\)$/,
        ),
      },
    },
    {
      name: 'OTLP/HTTP over TLS 1.2: done at the handshake',
      server: 'tls12',
      grpc: false,
      timeoutMs: LONG_MS,
      outcome: { result: 'ok', reason: 'reachable' },
    },
  ])('$name → $outcome.result', async ({ server, grpc, timeoutMs, outcome }) => {
    const started = Date.now();
    expect(await probeEndpoint(target(ports[server] ?? 0, true, grpc), ca, timeoutMs)).toEqual(outcome);
    // Settled by its own deadline (plus a loaded machine's scheduling), never left waiting.
    expect(Date.now() - started).toBeLessThan(timeoutMs + 2000);
  });

  it('plain http: a TCP connect is all, whatever the server says after', async () => {
    expect(await probeEndpoint(target(ports.silent ?? 0, false), undefined, LONG_MS)).toEqual({
      result: 'ok',
      reason: 'reachable',
    });
  });
});
