/**
 * What the real-cluster tests of auto-rollout, drift and leader election need beside cluster-install.ts: a replica
 * of the injector with its own name, port and tuning (several replicas in one test), and readers of what the API
 * server stores (workloads, their ReplicaSets, Events, the Lease) and of what a replica exports (its metrics).
 *
 * A replica runs in this process as the manifests' ServiceAccount, with the rendered Deployment's environment, as
 * `install.startInjector()` does; only the options client-node tuning needs (drift period, Lease timings) differ.
 */
import type { InjectorOptions } from '../../src/injector.js';
import {
  deploymentEnv,
  reviewLines,
  untilReady,
  type ClusterInstall,
  type RunningInjector,
} from './cluster-install.js';
import type { ControlPlane } from './control-plane.js';
import { startTestInjector } from './injector.js';

export interface ReplicaOptions {
  /** The pod name the replica would have: its Lease identity and Event source. */
  readonly hostname: string;
  /** The webhook port; the install's (the one the webhook configurations call) by default. */
  readonly port?: number;
  readonly env?: Record<string, string>;
  readonly options?: Omit<InjectorOptions, 'kubeConfig'>;
}

/** One replica, in cluster mode as the ServiceAccount, ready (/readyz 200) when this resolves. */
export async function startReplica(install: ClusterInstall, replica: ReplicaOptions): Promise<RunningInjector> {
  const env = {
    ...deploymentEnv(install.objects),
    HOSTNAME: replica.hostname,
    PORT: String(replica.port ?? install.webhookPort),
    ADMIN_PORT: '0',
    TLS_CERT_FILE: install.tls.certFile,
    TLS_KEY_FILE: install.tls.keyFile,
    ...replica.env,
  };
  const injector = await startTestInjector(undefined, env, {
    ...replica.options,
    kubeConfig: install.serviceAccount.kubeConfig,
  });
  await untilReady(injector, 30_000, `replica ${replica.hostname} not ready`);
  return { ...injector, reviews: () => reviewLines(injector.logs()) };
}

/** The value of one series of a replica's /metrics, or undefined when the series is not exported. */
export async function metricValue(
  replica: RunningInjector,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await (await fetch(`${replica.adminUrl}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split('\n')
    .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** The log lines of a replica with this message, parsed. */
export function logLines(replica: RunningInjector, msg: string): Record<string, any>[] {
  return replica
    .logs()
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}`))
    .map((l) => JSON.parse(l) as Record<string, any>);
}

/** The ReplicaSets the API server stores for a Deployment (by its pods' app label), oldest first. */
export async function replicaSetsOf(cp: ControlPlane, namespace: string, app: string): Promise<any[]> {
  const list = await cp.getJson(['-n', namespace, 'get', 'replicasets', '-l', `app.kubernetes.io/name=${app}`]);
  return (list.items as any[]).sort((a, b) =>
    String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
  );
}

/** The Events the API server stores in a namespace with this reason. */
export async function eventsWithReason(cp: ControlPlane, namespace: string, reason: string): Promise<any[]> {
  const list = await cp.getJson(['-n', namespace, 'get', 'events', '--field-selector', `reason=${reason}`]);
  return list.items as any[];
}

/** The stored pod template annotations of a workload (`kind/name`). */
export async function templateAnnotations(
  cp: ControlPlane,
  namespace: string,
  workload: string,
): Promise<Record<string, string>> {
  const stored = await cp.getJson(['-n', namespace, 'get', workload]);
  return stored.spec.template.metadata.annotations ?? {};
}

/** The requests the API server answered for the user, as its audit log records them, by verb and resource. */
export function auditCount(cp: ControlPlane, user: string, verb: string, resource: string, namespace?: string): number {
  return cp
    .auditEvents()
    .filter(
      (e) =>
        e.user.username === user &&
        e.verb === verb &&
        e.objectRef?.resource === resource &&
        (namespace === undefined || e.objectRef.namespace === namespace),
    ).length;
}
