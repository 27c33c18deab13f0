/**
 * Issue 19, scenario 7: RBAC, both ways, judged by the real RBAC authorizer. Every API call the injector's code
 * can make succeeds as the manifests' ServiceAccount (with and without the auto-rollout component), and what that
 * ServiceAccount may do (`kubectl auth can-i --list --as=…`) is exactly what the code was seen calling in the API
 * server's own audit log. The injector itself then runs as the ServiceAccount (Events without auto-rollout, a rollout
 * with it): the API server refuses none of its calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeApi, type KubeApi } from '../../src/kube/api.js';
import {
  INJECTOR_NAMESPACE,
  installInjector,
  SERVICE_ACCOUNT_USER,
  type ClusterInstall,
  type RunningInjector,
} from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { barePod, CORE_IMAGE, gatewayNamespace, template } from './fixtures.js';

const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');
const NS = 'ai-gateway';
const LEASE = 'aigw-otel-injector';
const KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;

/** Every method of the API adapter, once each: the calls the injector's code can make. */
async function callEveryMethod(api: KubeApi, rollout: boolean): Promise<void> {
  await api.listNamespaces({ limit: 10, timeoutMs: 5000 });
  const watched = new Promise<void>((resolve, reject) => {
    void api.watchNamespaces(
      '0',
      1,
      () => undefined,
      (e) => (e ? reject(e) : resolve()),
    );
  });
  await watched;
  await api.getNamespace(NS, 5000);
  await api.getConfigMapKeys(NS, 'collector-ca', 5000);
  await api.getConfigMapValue(NS, 'collector-ca', 'ca.crt', 5000);
  const event = {
    name: `rbac-check-${rollout ? 'rollout' : 'base'}`,
    namespace: NS,
    // As src/admission/warning-events.ts names a namespace: the API server refuses (422) an Event whose
    // involvedObject has no namespace unless the Event is in `default` (the stand-in API server did not check).
    involvedObject: { kind: 'Namespace', name: NS, namespace: NS, apiVersion: 'v1' },
    reason: 'RbacCheck',
    message: 'made by the RBAC test',
    count: 1,
    time: new Date().toISOString(),
  };
  await api.createEvent(event);
  await api.patchEventCount(NS, event.name, 2, event.time);
  if (!rollout) return;
  await api.listWorkloads(NS, 5000);
  await api.listPods(NS, 5000);
  for (const kind of KINDS) await api.patchTemplateAnnotations({ kind, name: 'aigw', namespace: NS }, { a: 'b' }, 5000);
  const record = {
    holder: 'rbac-test',
    durationSeconds: 15,
    transitions: 0,
    acquireTime: new Date(),
    renewTime: new Date(),
  };
  const version = await api.createLease(INJECTOR_NAMESPACE, LEASE, record, 5000);
  await api.getLease(INJECTOR_NAMESPACE, LEASE, 5000);
  // Released at once (an empty holder), as a replica shutting down does: the injector started later leads at once.
  await api.updateLease(INJECTOR_NAMESPACE, LEASE, { ...record, holder: '' }, version, 5000);
}

/** Rows of `kubectl auth can-i --list` as group/resource:verb (resource rows only), in both namespaces that matter. */
async function mayDo(cp: ControlPlane, user: string): Promise<Set<string>> {
  const grants = new Set<string>();
  for (const ns of ['default', INJECTOR_NAMESPACE]) {
    const out = (await cp.kubectl(['auth', 'can-i', '--list', `--as=${user}`, '-n', ns])).stdout;
    for (const line of out.split('\n').slice(1)) {
      const row = /^(\S+)\s+\[(.*?)\]\s+\[(.*?)\]\s+\[(.*?)\]\s*$/.exec(line);
      if (row === null) continue; // non-resource URLs
      const [resource = '', group = ''] = (row[1] ?? '').split(/\.(.*)/);
      for (const verb of (row[4] ?? '').split(' ')) grants.add(`${group}/${resource}:${verb}`);
    }
  }
  return grants;
}

/** What the ServiceAccount was seen doing, from the API server's audit log, as group/resource:verb. */
function seenCalling(cp: ControlPlane): Set<string> {
  return new Set(
    cp
      .auditEvents()
      .filter((e) => e.user.username === SERVICE_ACCOUNT_USER && e.objectRef?.resource !== undefined)
      .map((e) => `${e.objectRef?.apiGroup ?? ''}/${e.objectRef?.resource ?? ''}:${e.verb}`),
  );
}

const refusals = (cp: ControlPlane) =>
  cp.auditEvents().filter((e) => e.user.username === SERVICE_ACCOUNT_USER && e.responseStatus?.code === 403);

describe.skipIf(!real)('RBAC of the manifests, judged by the real authorizer', () => {
  let cp: ControlPlane;
  let install: ClusterInstall;
  let injector: RunningInjector | undefined;

  beforeAll(async () => {
    cp = await startControlPlane({ auditUsers: [SERVICE_ACCOUNT_USER] });
    console.info(`control plane ready in ${cp.startupMs} ms`);
    install = await installInjector(cp);
    await gatewayNamespace(cp, NS);
    const workloads = KINDS.map((kind) => ({
      apiVersion: 'apps/v1',
      kind,
      metadata: { name: 'aigw', namespace: NS },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'aigw' } },
        template: template('aigw', [{ name: 'aigw', image: CORE_IMAGE }]),
        ...(kind === 'DaemonSet' ? {} : { replicas: 0 }),
        // The OpenAPI schema of v1.30.14 (the oldest release we support) requires it; v1.37.2's does not.
        ...(kind === 'StatefulSet' ? { serviceName: 'aigw' } : {}),
      },
    }));
    await cp.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: workloads }),
    });
  }, 240_000);

  afterAll(async () => {
    await injector?.stop();
    await cp?.stop();
  }, 60_000);

  /** Without auto-rollout: warnings on a bare pod's namespace (Event created, then its count patched), the CA looked up. */
  async function warnTwice(running: RunningInjector): Promise<void> {
    for (const name of ['bad-interval-1', 'bad-interval-2']) {
      const pod = barePod(name, NS, [{ name: 'aigw', image: CORE_IMAGE }]);
      pod.metadata = { ...pod.metadata, annotations: { 'aigw-otel.io/metric-export-interval': 'soon' } } as never;
      await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) });
    }
    await cp.kubectl(['annotate', 'namespace', NS, 'aigw-otel.io/auto-rollout=true']);
    const events = async (reason: string) =>
      (await cp.getJson(['-n', NS, 'get', 'events', '--field-selector', `reason=${reason}`])).items as any[];
    await eventually(
      async () => (await events('InvalidTelemetryAnnotation'))[0]?.count === 2,
      30_000,
      `no Event with count 2:\n${running.logs().slice(-2000)}`,
    );
    await eventually(
      async () => (await events('AutoRolloutNotEnabled')).length === 1,
      30_000,
      'no AutoRolloutNotEnabled',
    );
  }

  /** With auto-rollout: the injector leads on its Lease and rolls the three workloads after a change. */
  async function rollAll(running: RunningInjector): Promise<void> {
    await eventually(
      async () =>
        (await cp.getJson(['-n', INJECTOR_NAMESPACE, 'get', 'lease', LEASE])).spec.holderIdentity ===
        'aigw-otel-injector-test-0',
      30_000,
      'the injector never led',
    );
    await cp.kubectl(['annotate', '--overwrite', 'namespace', NS, 'aigw-otel.io/endpoint=https://collector-2:4317']);
    for (const kind of KINDS) {
      await eventually(
        async () => {
          const w = await cp.getJson(['-n', NS, 'get', kind.toLowerCase(), 'aigw']);
          return w.spec.template.metadata.annotations?.['aigw-otel.io/config-hash'] !== undefined;
        },
        60_000,
        `${kind} not rolled:\n${running.logs().slice(-2000)}`,
      );
    }
  }

  it.each([
    { case: 'without auto-rollout', rollout: false, exercise: warnTwice },
    { case: 'with the auto-rollout component', rollout: true, exercise: rollAll },
  ])('$case: every call succeeds as the ServiceAccount, and the grants are exactly the calls', async (c) => {
    if (c.rollout) await install.applyComponents(['auto-rollout']);
    // The authorizer reads RBAC objects through an informer: a role just applied may take a moment to count.
    const probe = c.rollout ? ['patch', 'deployments', '-n', NS] : ['watch', 'namespaces'];
    await eventually(
      async () =>
        (await cp.kubectl(['auth', 'can-i', ...probe, `--as=${SERVICE_ACCOUNT_USER}`], { allowFailure: true })).code ===
        0,
      30_000,
      'the roles never took effect',
    );
    await callEveryMethod(kubeApi(install.serviceAccount.kubeConfig), c.rollout);
    const before = refusals(cp).length;
    const running = await install.startInjector();
    injector = running;
    await install.waitForWebhooks(running);
    await c.exercise(running);
    await running.stop();
    injector = undefined;
    expect(refusals(cp).slice(before), 'the API server refused none of its calls').toEqual([]);
    expect(running.logs()).not.toMatch(/\b403\b|forbidden/i);
    const granted = [...(await mayDo(cp, SERVICE_ACCOUNT_USER))];
    const everyone = await mayDo(cp, 'system:serviceaccount:default:no-bindings');
    expect(granted.filter((g) => !everyone.has(g)).sort()).toEqual([...seenCalling(cp)].sort());
  });

  // After the auto-rollout component is applied (the test above): the Lease grants are narrowed as shipped.
  it.each([
    ['get the Lease aigw-otel-injector in its namespace', ['get', `leases/${LEASE}`, '-n', INJECTOR_NAMESPACE], true],
    [
      'update the Lease aigw-otel-injector in its namespace',
      ['update', `leases/${LEASE}`, '-n', INJECTOR_NAMESPACE],
      true,
    ],
    ['create a Lease in its namespace', ['create', 'leases', '-n', INJECTOR_NAMESPACE], true],
    ['get another Lease in its namespace', ['get', 'leases/kube-scheduler', '-n', INJECTOR_NAMESPACE], false],
    ['update another Lease in its namespace', ['update', 'leases/other', '-n', INJECTOR_NAMESPACE], false],
    ['create a Lease in kube-system', ['create', 'leases', '-n', 'kube-system'], false],
    ['get a Deployment', ['get', 'deployments', '-n', NS], false],
    ['list Secrets', ['list', 'secrets', '-n', NS], false],
    ['delete a pod', ['delete', 'pods', '-n', NS], false],
  ] as const)('the ServiceAccount may %s: %s', async (_case, query, allowed) => {
    const result = await cp.kubectl(['auth', 'can-i', ...query, `--as=${SERVICE_ACCOUNT_USER}`], {
      allowFailure: true,
    });
    expect(result.stdout.trim()).toBe(allowed ? 'yes' : 'no');
  });
});
