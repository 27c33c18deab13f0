import type { AddressInfo } from 'node:net';
import type { Config } from './config/config.js';
import { createAdminServer } from './http/admin-server.js';
import { createHttpsServer, drain, listen, useKeyPair } from './http/https-server.js';
import { reviewHandlers } from './http/handlers.js';
import { createWebhookApp } from './http/webhook-app.js';
import { fileNamespaceSource } from './namespaces/file-source.js';
import type { NamespaceSource } from './namespaces/source.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { loadKeyPair } from './tls/key-pair.js';
import { recordKeyPair, watchKeyPair } from './tls/watch-key-pair.js';

export interface Injector {
  readonly webhookPort: number;
  readonly adminPort: number;
  readonly metrics: Metrics;
  /** Stop accepting, finish in-flight reviews, release everything. */
  stop(): Promise<void>;
}

/** A start-up failure the operator can fix; main prints it and exits non-zero. */
export class StartupError extends Error {}

/** Wires the namespace source, the certificate and both servers together, and starts them. */
export async function startInjector(config: Config, logger: Logger, metrics = createMetrics()): Promise<Injector> {
  const namespaces = await namespaceSource(config, logger, metrics);
  const pair = await loadKeyPair(config.tlsCertFile, config.tlsKeyFile).catch((error: unknown) => {
    namespaces.stop();
    throw new StartupError(`TLS_CERT_FILE/TLS_KEY_FILE: cannot load the serving certificate: ${message(error)}`);
  });
  recordKeyPair(metrics, pair);

  let shuttingDown = false;
  const handlers = reviewHandlers({ lookup: (name) => namespaces.get(name), metrics });
  const app = createWebhookApp(handlers, { logger, metrics, isShuttingDown: () => shuttingDown });
  const webhook = createHttpsServer(pair, app);
  const certificates = watchKeyPair(
    { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile },
    (next) => useKeyPair(webhook, next),
    logger,
    metrics,
  );
  const admin = createAdminServer({ metrics, ready: () => !shuttingDown && namespaces.ready() });
  await listen(webhook, config.port);
  await listen(admin, config.adminPort);
  const webhookPort = (webhook.address() as AddressInfo).port;
  const adminPort = (admin.address() as AddressInfo).port;
  logger.info({ webhookPort, adminPort, mode: config.namespacesFile ? 'standalone' : 'cluster' }, 'serving');

  return {
    webhookPort,
    adminPort,
    metrics,
    async stop() {
      shuttingDown = true;
      certificates.stop();
      const result = await drain(webhook);
      namespaces.stop();
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      admin.closeAllConnections();
      logger.info({ result }, 'stopped');
    },
  };
}

async function namespaceSource(config: Config, logger: Logger, metrics: Metrics): Promise<NamespaceSource> {
  if (config.namespacesFile === undefined) {
    throw new StartupError('NAMESPACES_FILE is not set: cluster mode is not available yet; set it to run standalone');
  }
  try {
    return await fileNamespaceSource(config.namespacesFile, logger, metrics);
  } catch (error) {
    throw new StartupError(`NAMESPACES_FILE=${config.namespacesFile}: ${message(error)}`);
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
