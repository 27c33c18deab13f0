import type { Express } from 'express';
import { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { KeyPair } from '../tls/key-pair.js';

// The API server closes idle keep-alive connections after 90 s; closing ours first causes EOF errors there.
const KEEP_ALIVE_TIMEOUT_MS = 120_000;
// The API server gives a webhook at most 30 s; nothing legitimate takes longer to send its headers.
const HEADERS_TIMEOUT_MS = 30_000;
// ... or its whole request.
const REQUEST_TIMEOUT_MS = 30_000;
// SIGTERM: finish in-flight reviews for up to this long, then cut what is left; inside the kubelet's 30 s grace.
export const DRAIN_TIMEOUT_MS = 8_000;

// How often idle connections are closed while draining: short against the 8 s budget.
const DRAIN_SWEEP_MS = 100;

export const TLS_MIN_VERSION = 'TLSv1.2';
// A TLS handshake takes milliseconds; a client that has not finished one in this long is holding a slot idle.
const HANDSHAKE_TIMEOUT_MS = 10_000;
// Each TLS connection costs ~40-100 KB; the API server keeps at most 25 idle per host, so this leaves room for
// several API servers' bursts and bounds what idle or slow clients can take. Past it, new connections are dropped
// (a failed call to the API server, which then applies failurePolicy).
export const MAX_CONNECTIONS = 512;

export function createHttpsServer(pair: KeyPair, app: Express): Server {
  const server = createServer(
    {
      cert: pair.cert,
      key: pair.key,
      minVersion: TLS_MIN_VERSION,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      ...expressPrototypes(app),
    },
    app,
  );
  server.maxConnections = MAX_CONNECTIONS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  return server;
}

/** New connections get the new pair; open ones keep the one they shook hands with. */
export function useKeyPair(server: Server, pair: KeyPair): void {
  server.setSecureContext({ cert: pair.cert, key: pair.key, minVersion: TLS_MIN_VERSION });
}

/** Stops accepting, lets in-flight requests finish, closes idle keep-alive connections; resolves when drained. */
export function drain(server: Server, timeoutMs = DRAIN_TIMEOUT_MS): Promise<'drained' | 'timed-out'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve('timed-out');
    }, timeoutMs);
    timer.unref();
    // A connection whose last answer went out becomes idle; close it promptly rather than at keep-alive end.
    const sweep = setInterval(() => server.closeIdleConnections(), DRAIN_SWEEP_MS);
    server.close(() => {
      clearTimeout(timer);
      clearInterval(sweep);
      resolve('drained');
    });
    server.closeIdleConnections();
  });
}

export function listen(
  server: { listen(port: number, cb: () => void): unknown; once(e: 'error', cb: (err: Error) => void): unknown },
  port: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
}

/**
 * Request and response objects born with express's prototypes. Express re-parents every req and res with
 * Object.setPrototypeOf, which sends V8 (and Node's own http code on those objects) down slow paths: the
 * profile showed a no-op express app at 40 % of a bare server's throughput. Built like this, express's
 * setPrototypeOf finds the prototype already in place and changes nothing.
 */
function expressPrototypes(app: Express) {
  function ExpressRequest(this: IncomingMessage, socket: Socket) {
    IncomingMessage.call(this, socket);
  }
  ExpressRequest.prototype = app.request;
  function ExpressResponse(this: ServerResponse, req: IncomingMessage) {
    ServerResponse.call(this, req);
  }
  ExpressResponse.prototype = app.response;
  return {
    IncomingMessage: ExpressRequest as unknown as typeof IncomingMessage,
    ServerResponse: ExpressResponse as unknown as typeof ServerResponse,
  };
}
