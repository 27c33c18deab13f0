/**
 * A replica with a bug: the injector's own parts (metrics, certificate, namespace file source, webhook app, admin
 * server) wired as src/injector.ts wires them in standalone mode, except that the namespace lookup throws. Every pod
 * review then fails open, as one would after a real bug, so AigwOtelInjectorFailingOpen can be seen firing from a
 * running process. Nothing else differs: its /metrics is the real exposition, its failed opens the real counter.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createAdminServer } from '../../../src/http/admin-server.js';
import { reviewHandlers } from '../../../src/http/handlers.js';
import { createHttpsServer, listen } from '../../../src/http/https-server.js';
import { createWebhookApp } from '../../../src/http/webhook-app.js';
import { fileNamespaceSource } from '../../../src/namespaces/file-source.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { loadKeyPair } from '../../../src/tls/key-pair.js';
import { recordKeyPair } from '../../../src/tls/watch-key-pair.js';
import { corePod, review } from '../../fixtures/pods.js';
import type { DevCerts } from '../../helpers/injector.js';

export interface FailingReplica {
  readonly adminPort: number;
  /** Posts one pod review and resolves with the answer's `response`. */
  review(uid: string): Promise<{ allowed: boolean; warnings?: string[] }>;
  stop(): Promise<void>;
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** Starts the replica on a free webhook port and the given admin port, with the certificate and namespaces file. */
export async function startFailingReplica(
  certs: DevCerts,
  namespacesFile: string,
  adminPort: number,
): Promise<FailingReplica> {
  const logger = createLogger('info', new Writable({ write: (_c, _e, done) => done() }));
  const metrics = createMetrics();
  // The file poll is irrelevant here: the file never changes.
  const namespaces = await fileNamespaceSource(namespacesFile, logger, metrics, 60_000);
  const pair = await loadKeyPair(certs.certFile, certs.keyFile);
  recordKeyPair(metrics, pair);
  const handlers = reviewHandlers({
    lookup: () => {
      throw new TypeError('a bug in the namespace lookup');
    },
    metrics,
  });
  const webhook = createHttpsServer(pair, createWebhookApp(handlers, { logger, metrics, isShuttingDown: () => false }));
  const admin: Server = createAdminServer({ metrics, ready: () => namespaces.ready() });
  await listen(webhook, 0);
  await listen(admin, adminPort);
  const webhookPort = (webhook.address() as AddressInfo).port;
  return {
    adminPort: (admin.address() as AddressInfo).port,
    review: async (uid) => {
      const { default: request } = await import('supertest');
      const res = await request(`https://localhost:${webhookPort}`)
        .post('/mutate-pods?timeout=10s')
        .ca(certs.ca)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(review(corePod(), { uid })));
      return res.body.response;
    },
    stop: async () => {
      namespaces.stop();
      const closed = Promise.all([close(webhook), close(admin)]);
      webhook.closeAllConnections();
      admin.closeAllConnections();
      await closed;
    },
  };
}
