import type { KubeConfig } from '@kubernetes/client-node';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/config.js';
import { createAdminServer } from './http/admin-server.js';
import { createHttpsServer, drain, listen, useKeyPair } from './http/https-server.js';
import { reviewHandlers, type HandlerDeps } from './http/handlers.js';
import { createWebhookApp } from './http/webhook-app.js';
import type { KubeApi } from './kube/api.js';
import type { LeaderElector, LeaderTuning } from './kube/leader.js';
import type { ClusterSourceTuning } from './namespaces/cluster-source.js';
import { fileNamespaceSource } from './namespaces/file-source.js';
import type { NamespaceSource } from './namespaces/source.js';
import type { Annotations } from './core/read-annotations.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import type { AutoRollout, RolloutTuning } from './rollout/auto-rollout.js';
import type { DriftTuning } from './rollout/drift-monitor.js';
import type { EventTarget } from './kube/events.js';
import { createCollectorProbe } from './rollout/collector-wiring.js';
import { autoRolloutNotEnabled } from './rollout/not-enabled.js';
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

export interface InjectorOptions {
  readonly metrics?: Metrics;
  /** Cluster mode credentials; by default client-node's own loading (in-cluster service account, or KUBECONFIG). */
  readonly kubeConfig?: KubeConfig;
  readonly clusterTuning?: ClusterSourceTuning;
  readonly leaderTuning?: LeaderTuning;
  readonly rolloutTuning?: RolloutTuning;
  readonly driftTuning?: DriftTuning;
}

interface Sources {
  readonly namespaces: NamespaceSource;
  /** What cluster mode adds to the handlers: the CA pre-flight and Events. */
  readonly handlerDeps: Pick<HandlerDeps, 'checkCa' | 'recordEvent'>;
  readonly stop: () => Promise<void>;
}

/** Wires the namespace source, the certificate and both servers together, and starts them. */
export async function startInjector(config: Config, logger: Logger, options: InjectorOptions = {}): Promise<Injector> {
  const metrics = options.metrics ?? createMetrics();
  const sources = await startSources(config, logger, metrics, options);
  const { namespaces } = sources;
  const pair = await loadKeyPair(config.tlsCertFile, config.tlsKeyFile).catch((error: unknown) => {
    void sources.stop();
    throw new StartupError(`TLS_CERT_FILE/TLS_KEY_FILE: cannot load the serving certificate: ${message(error)}`);
  });
  recordKeyPair(metrics, pair);

  let shuttingDown = false;
  const handlers = reviewHandlers({ ...sources.handlerDeps, lookup: (name) => namespaces.get(name), metrics });
  const app = createWebhookApp(handlers, { logger, metrics, isShuttingDown: () => shuttingDown });
  const webhook = createHttpsServer(pair, app);
  const certificates = watchKeyPair(
    { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile },
    (next) => useKeyPair(webhook, next),
    logger,
    metrics,
    config.filePollIntervalMs,
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
      await sources.stop();
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      admin.closeAllConnections();
      logger.info({ result }, 'stopped');
    },
  };
}

async function startSources(
  config: Config,
  logger: Logger,
  metrics: Metrics,
  options: InjectorOptions,
): Promise<Sources> {
  if (config.namespacesFile !== undefined) {
    try {
      const namespaces = await fileNamespaceSource(config.namespacesFile, logger, metrics, config.filePollIntervalMs);
      return { namespaces, handlerDeps: {}, stop: () => Promise.resolve(namespaces.stop()) };
    } catch (error) {
      throw new StartupError(`NAMESPACES_FILE=${config.namespacesFile}: ${message(error)}`);
    }
  }
  // Loaded only in cluster mode: client-node's module graph alone is ~75 MB of RSS.
  const { kubeApi } = await import('./kube/api.js');
  const { caChecker } = await import('./kube/ca-check.js');
  const { eventRecorder } = await import('./kube/events.js');
  const { clusterNamespaceSource, DEFAULT_TUNING } = await import('./namespaces/cluster-source.js');
  const kc = options.kubeConfig ?? (await defaultKubeConfig());
  logger.info({ server: kc.getCurrentCluster()?.server }, 'cluster mode: namespaces from the API server');
  const api = kubeApi(kc, config.instance);
  const tuning = options.clusterTuning ?? DEFAULT_TUNING;
  const events = eventRecorder(api, logger);
  const warn = (target: EventTarget, reason: string, text: string) => events.warn(target, reason, text);
  // The collector probe: on the Lease holder where auto-rollout elects one, else on every replica.
  const probe = await createCollectorProbe(
    config,
    { api, logger, metrics, events, namespaces: () => namespaces.all() },
    () => rollout === undefined || rollout.elector.isLeader(),
  );
  const rollout = await createRollout({
    api,
    config,
    logger,
    metrics,
    options,
    warn,
    namespaces: () => namespaces.all(),
    leadership: { started: () => probe?.leadershipAcquired(), stopped: () => probe?.leadershipLost() },
  });
  const notEnabled = config.autoRollout ? undefined : autoRolloutNotEnabled({ logger, warn });
  const namespaces = clusterNamespaceSource(api, logger, metrics, tuning, (...change) => {
    rollout?.rollout.namespaceChanged(...change);
    rollout?.drift.namespaceChanged();
    notEnabled?.namespaceChanged(...change);
    probe?.namespaceChanged(change[0]);
  });
  void namespaces.synced.then(() => probe?.start());
  void namespaces.synced.then(() => notEnabled?.synced(namespaces.all()));
  const election = rollout && startElection(rollout.elector, namespaces.synced);
  void namespaces.synced.then(() => rollout?.drift.start());
  return {
    namespaces,
    handlerDeps: {
      checkCa: caChecker(api, logger),
      recordEvent: (e) => events.warn(e.target, e.reason, e.message),
    },
    stop: async () => {
      rollout?.rollout.stop();
      await rollout?.drift.stop();
      await probe?.stop();
      await election?.stop();
      await rollout?.rollout.idle();
      namespaces.stop();
      events.stop();
      await events.flush();
    },
  };
}

interface RolloutWiring {
  readonly api: KubeApi;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly options: InjectorOptions;
  readonly namespaces: () => ReadonlyMap<string, Annotations>;
  readonly warn: (target: EventTarget, reason: string, text: string) => void;
  /** What else follows the Lease (the collector probe). */
  readonly leadership: { readonly started: () => void; readonly stopped: () => void };
}

/** Auto-rollout and its Lease election; only the leader rolls workloads. Off without AUTO_ROLLOUT or POD_NAMESPACE. */
async function createRollout({ api, config, logger, metrics, options, namespaces, warn, leadership }: RolloutWiring) {
  if (!config.autoRollout) {
    logger.info('auto-rollout off: AUTO_ROLLOUT is not true (manifests/components/auto-rollout enables it)');
    return undefined;
  }
  if (config.rolloutLease === undefined) {
    logger.info('auto-rollout off: POD_NAMESPACE is not set, so there is no Lease to elect a leader with');
    return undefined;
  }
  const leader = await import('./kube/leader.js');
  const { AutoRollout: Rollout } = await import('./rollout/auto-rollout.js');
  const { DriftMonitor } = await import('./rollout/drift-monitor.js');
  const rollout: AutoRollout = new Rollout({
    api,
    logger,
    metrics,
    isLeader: () => elector.isLeader(),
    namespaces,
    tuning: options.rolloutTuning,
  });
  const elector: LeaderElector = new leader.LeaderElector(
    api,
    { ...config.rolloutLease, identity: config.instance },
    {
      logger,
      metrics,
      onStartedLeading: () => {
        rollout.leadershipAcquired();
        drift.namespaceChanged();
        leadership.started();
      },
      onStoppedLeading: () => {
        drift.leadershipLost();
        leadership.stopped();
      },
    },
    options.leaderTuning ?? leader.DEFAULT_LEADER_TUNING,
  );
  // Pods that missed their configuration: found and reported by the leader, healed where auto-rollout is on.
  const drift = new DriftMonitor({
    api,
    logger,
    metrics,
    warn,
    namespaces,
    isLeader: () => elector.isLeader(),
    rolling: (namespace) => rollout.rolling(namespace),
    tuning: options.driftTuning,
  });
  return { rollout, elector, drift };
}

/** Elects only once the namespaces are listed (a new leader reconciles from them); a stop never waits on the list. */
function startElection(elector: { run(signal: AbortSignal): Promise<void> }, synced: Promise<void>) {
  const electing = new AbortController();
  const stopped = new Promise<void>((resolve) => electing.signal.addEventListener('abort', () => resolve()));
  const running = Promise.race([synced, stopped]).then(() =>
    electing.signal.aborted ? undefined : elector.run(electing.signal),
  );
  return {
    stop: async () => {
      electing.abort();
      await running;
    },
  };
}

async function defaultKubeConfig(): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (error) {
    throw new StartupError(
      `cannot load Kubernetes credentials (in-cluster service account or KUBECONFIG): ${message(error)}`,
    );
  }
  return kc;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
