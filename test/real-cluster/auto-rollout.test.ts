/**
 * Issue 19, scenario 6: auto-rollout against the real API server and controllers. A change of a namespace's
 * telemetry annotations patches the pod templates of exactly the AI Gateway workloads that opted in (as the API server
 * stores them); the real Deployment controller rolls each into a new ReplicaSet whose pods the webhook configures
 * with the new configuration, and the StatefulSet controller moves to a new revision. An opted-out workload, one
 * whose template pins the changed value, a non-gateway workload and a namespace created together with its workloads
 * (GitOps) are not rolled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInjector, SERVICE_ACCOUNT_USER, type RunningInjector } from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { LEAD_MS, REACT_MS, START_MS, STOP_MS, TEST_MS } from '../helpers/real-timeouts.js';
import {
  auditCount,
  eventsWithReason,
  metricValue,
  replicaSetsOf,
  templateAnnotations,
} from '../helpers/real-injector.js';
import {
  CORE_IMAGE,
  GATEWAY_ANNOTATIONS,
  gatewayNamespace,
  PROCESSOR_IMAGE,
  storedPods,
  template,
} from './fixtures.js';

const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');
const NS = 'ai-gateway';
const GITOPS_NS = 'ai-gateway-gitops';
// A second auto-rollout namespace changed after NS: auto-rollout handles one namespace at a time, in order, so
// once its workload is rolled, NS's pass is over and anything it would have rolled wrongly is rolled already.
const BARRIER_NS = 'ai-gateway-barrier';
const NEW_ENDPOINT = 'https://otel-collector-v2.observability:4317';
const PINNED = 'https://team-collector.observability:4317';
const AUTO = { ...GATEWAY_ANNOTATIONS, 'aigw-otel.io/auto-rollout': 'true' };
// A drift scan under way may be pacing heals (30 s between two workloads of a namespace, even one it then skips):
// two of them plus the scan asked for.
const SCAN_MS = 150_000;
const HASH = /^[0-9a-f]{16}$/; // src/core/config-hash.ts: 64 bits, hex

interface Row {
  readonly case: string;
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  readonly image: string;
  readonly annotations?: Record<string, string>;
  readonly rolled: boolean;
}

const ROWS: Row[] = [
  { case: 'the core Deployment', kind: 'Deployment', name: 'aigw', image: CORE_IMAGE, rolled: true },
  { case: 'the F5 processors', kind: 'Deployment', name: 'aigw-processors-f5', image: PROCESSOR_IMAGE, rolled: true },
  { case: 'a core StatefulSet', kind: 'StatefulSet', name: 'aigw-stateful', image: CORE_IMAGE, rolled: true },
  {
    case: 'a Deployment whose template says inject: "false"',
    kind: 'Deployment',
    name: 'aigw-opted-out',
    image: CORE_IMAGE,
    annotations: { 'aigw-otel.io/inject': 'false' },
    rolled: false,
  },
  {
    case: 'a Deployment whose template pins its own endpoint',
    kind: 'Deployment',
    name: 'aigw-pinned',
    image: CORE_IMAGE,
    annotations: { 'aigw-otel.io/endpoint': PINNED },
    rolled: false,
  },
  { case: 'a Deployment of no AI Gateway image', kind: 'Deployment', name: 'web', image: 'nginx:1.27', rolled: false },
];

function workload(row: Row, namespace: string) {
  const t = template(row.name, [{ name: row.name === 'web' ? 'web' : 'aigw', image: row.image }]);
  const spec = {
    replicas: 1,
    selector: { matchLabels: { 'app.kubernetes.io/name': row.name } },
    template: { ...t, metadata: { ...t.metadata, annotations: row.annotations ?? {} } },
    ...(row.kind === 'StatefulSet' ? { serviceName: row.name } : {}),
  };
  return { apiVersion: 'apps/v1', kind: row.kind, metadata: { name: row.name, namespace }, spec };
}

const list = (items: object[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
const endpointOf = (pod: any) =>
  pod.spec.containers[0].env?.find((e: any) => e.name === 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')?.value;

describe.skipIf(!real)('auto-rollout with the real API server and controllers', { timeout: TEST_MS }, () => {
  let cp: ControlPlane;
  let injector: RunningInjector | undefined;

  beforeAll(async () => {
    cp = await startControlPlane({ auditUsers: [SERVICE_ACCOUNT_USER] });
    const install = await installInjector(cp, { components: ['auto-rollout'] });
    injector = await install.startInjector();
    await install.waitForWebhooks(injector);
    await eventually(
      async () => (await metricValue(injector!, 'aigw_otel_injector_leader')) === 1,
      LEAD_MS,
      'no leader',
    );
    for (const ns of [NS, BARRIER_NS]) await gatewayNamespace(cp, ns, AUTO);
    await cp.kubectl(['apply', '-f', '-'], {
      input: list([...ROWS.map((r) => workload(r, NS)), workload(ROWS[0]!, BARRIER_NS)]),
    });
    // GitOps: the namespace and its workload in one apply, after the injector is watching.
    const gitopsNs = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: GITOPS_NS, annotations: AUTO } };
    await cp.kubectl(['apply', '-f', '-'], { input: list([gitopsNs, workload(ROWS[0]!, GITOPS_NS)]) });
    for (const row of ROWS) if (row.kind === 'Deployment') await storedPods(cp, NS, row.name);
    await storedPods(cp, GITOPS_NS, 'aigw');

    const endpoint = `aigw-otel.io/endpoint=${NEW_ENDPOINT}`;
    await cp.kubectl(['annotate', '--overwrite', 'namespace', NS, endpoint]);
    await cp.kubectl(['annotate', '--overwrite', 'namespace', BARRIER_NS, endpoint]);
    await eventually(
      async () =>
        HASH.test((await templateAnnotations(cp, BARRIER_NS, 'deployment/aigw'))['aigw-otel.io/config-hash'] ?? ''),
      REACT_MS,
      `the barrier namespace was not rolled:\n${injector.logs()}`,
    );
  }, START_MS);

  afterAll(async () => {
    await injector?.stop();
    await cp?.stop();
  }, STOP_MS);

  it.each(ROWS.filter((r) => r.rolled))('$case is rolled: its template carries the hash', async (row) => {
    const stored = await cp.getJson(['-n', NS, 'get', `${row.kind.toLowerCase()}/${row.name}`]);
    expect(stored.spec.template.metadata.annotations['aigw-otel.io/config-hash']).toMatch(HASH);
    const [event] = (await eventsWithReason(cp, NS, 'TelemetryConfigRollout')).filter(
      (e) => e.involvedObject.name === row.name,
    );
    // `kubectl describe` finds a workload's Events by uid.
    expect(event?.involvedObject).toMatchObject({ kind: row.kind, uid: stored.metadata.uid });
  });

  it.each(ROWS.filter((r) => r.rolled && r.kind === 'Deployment'))(
    '$case: the Deployment controller makes one new ReplicaSet, its pod configured anew',
    async (row) => {
      const hash = (await templateAnnotations(cp, NS, `deployment/${row.name}`))['aigw-otel.io/config-hash'];
      let newest: any;
      await eventually(
        async () => {
          const pods = await storedPods(cp, NS, row.name);
          newest = pods.find((p) => p.metadata.annotations?.['aigw-otel.io/injected-hash'] === hash);
          return newest !== undefined;
        },
        REACT_MS,
        `no pod of ${row.name} at ${hash}`,
      );
      expect(endpointOf(newest)).toBe(NEW_ENDPOINT);
      expect(await replicaSetsOf(cp, NS, row.name)).toHaveLength(2);
    },
  );

  it('the StatefulSet controller moves to a new revision', async () => {
    await eventually(
      async () => {
        const s = (await cp.getJson(['-n', NS, 'get', 'statefulset/aigw-stateful'])).status;
        return s.updateRevision !== undefined && s.updateRevision !== s.currentRevision;
      },
      REACT_MS,
      'the StatefulSet did not move to a new revision',
    );
  });

  it.each(ROWS.filter((r) => !r.rolled))('$case is left alone', async (row) => {
    const stored = await cp.getJson(['-n', NS, 'get', `deployment/${row.name}`]);
    expect(stored.spec.template.metadata.annotations?.['aigw-otel.io/config-hash']).toBeUndefined();
    expect(stored.metadata.generation).toBe(1);
    expect(await replicaSetsOf(cp, NS, row.name)).toHaveLength(1);
  });

  it('a namespace created together with its workloads rolls nothing', async () => {
    const stored = await cp.getJson(['-n', GITOPS_NS, 'get', 'deployment/aigw']);
    expect(stored.spec.template.metadata.annotations?.['aigw-otel.io/config-hash']).toBeUndefined();
    expect(await replicaSetsOf(cp, GITOPS_NS, 'aigw')).toHaveLength(1);
    expect(auditCount(cp, SERVICE_ACCOUNT_USER, 'patch', 'deployments', GITOPS_NS)).toBe(0);
  });

  it(
    'each opted-in workload is patched once: a drift scan after the rollout does not roll it again',
    async () => {
      // The rolled Deployments' old pods stay (the new ones never become available without a kubelet): stale pods
      // whose workloads already ask for the current configuration. Any namespace change makes the drift monitor scan;
      // it scans the namespaces in the order it learnt them, so a list of GITOPS_NS's pods means NS is done.
      const scanned = () => auditCount(cp, SERVICE_ACCOUNT_USER, 'list', 'pods', GITOPS_NS);
      const before = scanned();
      await cp.kubectl(['annotate', '--overwrite', 'namespace', NS, 'team=payments']);
      await eventually(() => scanned() > before, SCAN_MS, 'no drift scan after the namespace change');
      const patches = (resource: string) => auditCount(cp, SERVICE_ACCOUNT_USER, 'patch', resource, NS);
      expect(patches('deployments')).toBe(ROWS.filter((r) => r.rolled && r.kind === 'Deployment').length);
      expect(patches('statefulsets')).toBe(1);
    },
    SCAN_MS + REACT_MS,
  );
});
