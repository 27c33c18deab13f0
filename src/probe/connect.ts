import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { classify, type Outcome, type ProbeStage, type ProbeTarget } from '../core/collector-probe.js';

const OK: Outcome = { result: 'ok', reason: 'reachable' };

/**
 * One probe of one endpoint, as an SDK would connect: a TCP connect for http://; for https:// a TLS handshake with
 * `ca` (the namespace's CA; Node's bundled roots without one) verified against the endpoint's host, then for gRPC the
 * HTTP/2 preface (ours sent, the server's SETTINGS read), for OTLP/HTTP the first bytes of an answer to a HEAD.
 * Whatever happens it settles within `timeoutMs` and leaves no socket open. It presents no client certificate: the
 * injector never reads Secrets.
 */
export function probeEndpoint(target: ProbeTarget, ca: string | undefined, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let stage: ProbeStage = 'connect';
    const socket = netConnect({ host: target.dialHost, port: target.port });
    let tls: TLSSocket | undefined;
    let session: ClientHttp2Session | undefined;
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session?.destroy();
      tls?.destroy();
      socket.destroy();
      resolve(outcome);
    };
    const fail = (error: unknown) =>
      finish(classify({ stage, code: (error as NodeJS.ErrnoException | undefined)?.code ?? 'ERR_UNKNOWN' }));
    const timer = setTimeout(() => finish(classify({ stage, timedOutMs: timeoutMs })), timeoutMs);
    timer.unref();

    socket.on('error', fail);
    socket.once('connect', () => {
      if (!target.tls) return finish(OK);
      stage = 'tls';
      tls = tlsConnect({
        socket,
        host: target.host,
        // SNI takes host names only; an IP is still verified against the certificate's IP SANs.
        servername: isIP(target.host) === 0 ? target.host : undefined,
        ca,
        ALPNProtocols: target.grpc ? ['h2'] : ['http/1.1'],
        rejectUnauthorized: true,
      });
      tls.on('error', fail);
      tls.once('secureConnect', () => (target.grpc ? preface() : request()));
    });

    /** gRPC: HTTP/2 over the verified socket; done when the server's SETTINGS frame arrives. */
    const preface = () => {
      stage = 'http2';
      const verified = tls as TLSSocket;
      if (verified.alpnProtocol !== 'h2') return finish(classify({ stage, code: 'NO_ALPN_H2' }));
      session = http2Connect(`https://${target.host}:${target.port}`, { createConnection: () => verified });
      session.on('error', fail);
      session.once('remoteSettings', () => finish(OK));
      session.once('close', () => finish(classify({ stage, code: 'ERR_HTTP2_SESSION_CLOSED' })));
    };

    /**
     * OTLP/HTTP. Under TLS 1.2 a server that wants a client certificate says so during the handshake: done. Under TLS
     * 1.3 it checks our (absent) one after our side considers the handshake over, and then sends either its alert or
     * what shows it accepted us: a session ticket, or an answer to our HEAD / (nothing is exported by it).
     */
    const request = () => {
      stage = 'http';
      const verified = tls as TLSSocket;
      if (verified.getProtocol() !== 'TLSv1.3') return finish(OK);
      verified.once('session', () => finish(OK));
      verified.once('data', () => finish(OK));
      verified.once('end', () => finish(classify({ stage, code: 'ERR_CLOSED_WITHOUT_ANSWER' })));
      const hostHeader = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
      verified.write(`HEAD / HTTP/1.1\r\nHost: ${hostHeader}:${target.port}\r\nConnection: close\r\n\r\n`);
    };
  });
}
