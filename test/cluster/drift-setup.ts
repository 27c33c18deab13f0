/** What the drift and rollout tests against the stand-in API server share: fixtures, tunings and readings. */
import request from 'supertest';
import { decide } from '../../src/core/inject.js';
import type { Pod } from '../../src/core/pod.js';
import type { LeaderTuning } from '../../src/kube/leader.js';
import type { DriftTuning } from '../../src/rollout/drift-monitor.js';
import { DEFAULT_TUNING } from '../../src/namespaces/cluster-source.js';
import { corePod, CORE_IMAGE } from '../fixtures/pods.js';
import { startTestInjector, type TestInjector } from '../helpers/injector.js';
import type { StandInApiServer } from '../helpers/stand-in-apiserver.js';

export const a = (k: string) => `aigw-otel.io/${k}`;
// Short periods so a takeover fits in a test; the same ratios as the defaults.
export const FAST_LEADER: LeaderTuning = { leaseSeconds: 1, retryMs: 100, renewDeadlineMs: 600, requestTimeoutMs: 500 };
export const LEASE_KEY = 'aigw-otel-injector/aigw-otel-injector';

type Kind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
export const template = (annotations: Record<string, string> = {}) => ({
  metadata: { labels: { app: 'aigw' }, annotations },
  spec: { containers: [{ name: 'aigw', image: CORE_IMAGE }] },
});

/** A pod of workload `app` stored as created while the injector was down: no configuration. */
export function missingPod(api: StandInApiServer, namespace: string, app: string, suffix = 'down1'): void {
  const p = corePod({ app });
  api.setPod(namespace, { ...p, metadata: { ...p.metadata, name: `${app}-6d4b9c7f8d-${suffix}` } });
}

/** A pod of workload `app` as the webhook admitted it under `annotations`. */
export function admittedPod(
  api: StandInApiServer,
  namespace: string,
  app: string,
  annotations: Record<string, string>,
) {
  const made = decide(annotations, corePod({ app }), { caStatus: 'unchecked', namespace });
  if (!made.inject) throw new Error(`fixture not injected: ${made.reason}`);
  const p: Pod = made.pod;
  api.setPod(namespace, { ...p, metadata: { ...p.metadata, name: `${app}-6d4b9c7f8d-up1` } });
}

/** One injector replica in cluster mode with auto-rollout, named `hostname`. */
export function replica(api: StandInApiServer, hostname: string, driftTuning: DriftTuning): Promise<TestInjector> {
  return startTestInjector(
    undefined,
    { HOSTNAME: hostname, POD_NAMESPACE: 'aigw-otel-injector', AUTO_ROLLOUT: 'true' },
    {
      kubeConfig: api.kubeConfig(),
      clusterTuning: { ...DEFAULT_TUNING, backoffBaseMs: 20, backoffCapMs: 200 },
      leaderTuning: FAST_LEADER,
      driftTuning,
    },
  );
}

export const metricsOf = async (r: TestInjector) => (await request(r.adminUrl).get('/metrics')).text;

/** The pods_unconfigured value of a namespace and state in a /metrics text; NaN when there is no such series. */
export function unconfigured(text: string, namespace: string, state: 'missing' | 'stale'): number {
  const line = new RegExp(
    `^aigw_otel_injector_pods_unconfigured\\{namespace="${namespace}",state="${state}"\\} (\\d+)$`,
    'm',
  );
  return Number(line.exec(text)?.[1] ?? NaN);
}

export const leads = async (r: TestInjector) => /^aigw_otel_injector_leader 1$/m.test(await metricsOf(r));

/** PATCH requests on one workload. */
export const patchesOf = (api: StandInApiServer, namespace: string, name: string) =>
  api.requests.filter(
    (r) =>
      r.method === 'PATCH' &&
      r.path.startsWith('/apis/apps/') &&
      r.path.endsWith(`/namespaces/${namespace}/deployments/${name}`),
  ).length;

export const templateAnnotations = (api: StandInApiServer, kind: Kind, namespace: string, name: string) =>
  (api.workload(kind, namespace, name)?.spec as { template: { metadata: { annotations?: Record<string, string> } } })
    .template.metadata.annotations ?? {};

export const quietFor = (ms: number) => new Promise((r) => setTimeout(r, ms));
