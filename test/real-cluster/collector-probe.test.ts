/**
 * Issue 26, point 3: the collector probe in cluster mode, with the real control plane and a real Collector on
 * loopback. The injector runs as the manifests' ServiceAccount (base install: no Lease, so this one replica probes);
 * it reads each namespace's CA ConfigMap with its own RBAC and probes the Collector. Shown by: the gauge, a
 * CollectorUnreachable Event on the Namespace, and the `status` column (text and JSON) read back from that Event; a
 * fix of the CA turns all three to ok. Three hundred namespaces sharing one Collector and one CA cost one probe.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusReport } from '../../src/cli/status.js';
import { formatStatus } from '../../src/cli/status-report.js';
import { kubeApi } from '../../src/kube/api.js';
import { namespaceEventReader } from '../../src/kube/probe-events.js';
import { installInjector, type RunningInjector } from '../helpers/cluster-install.js';
import { startCollector, type RealCollector } from '../helpers/collector.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { eventsWithReason } from '../helpers/real-injector.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { REACT_MS, START_MS, STOP_MS, TEST_MS } from '../helpers/real-timeouts.js';
import { serverPki } from '../helpers/telemetry-run.js';

const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd', 'otelcol');
const MANY = 300;
const GOOD = 'probe-good';
const BAD = 'probe-wrong-ca';

/** The series of a metric on the injector's /metrics, as label set → value. */
async function series(injector: RunningInjector, name: string): Promise<{ labels: string; value: number }[]> {
  const text = await (await fetch(`${injector.adminUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .map((l) => ({ labels: l.slice(name.length, l.lastIndexOf(' ')), value: Number(l.split(' ').at(-1)) }));
}

const probeOf = async (injector: RunningInjector, namespace: string) =>
  (await series(injector, 'aigw_otel_injector_collector_probe'))
    .filter((s) => s.labels.includes(`namespace="${namespace}"`))
    .map((s) => /result="([^"]+)"/.exec(s.labels)?.[1]);

/** `aigw-otel-injector status` as main.ts runs it (with the admin's kubeconfig): its report, and that as text. */
async function status(cp: ControlPlane) {
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const report = await statusReport(kubeApi(kc), namespaceEventReader(kc));
  return { report, text: formatStatus(report) };
}

describe.skipIf(!real)('the collector probe in a real cluster', { timeout: TEST_MS }, () => {
  let cp: ControlPlane;
  let collector: RealCollector;
  let injector: RunningInjector | undefined;
  let ca: string;
  let endpoint: string;

  const namespaceWithCa = (name: string, pem: string) => [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        annotations: { 'aigw-otel.io/endpoint': endpoint, 'aigw-otel.io/ca-configmap': 'collector-ca' },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'collector-ca', namespace: name },
      data: { 'ca.crt': pem },
    },
  ];

  beforeAll(async () => {
    const pki = serverPki();
    ca = pki.ca;
    const otherCa = serverPki('someone-else').ca;
    [cp, collector] = await Promise.all([startControlPlane(), startCollector({ cert: pki.cert, key: pki.key })]);
    endpoint = `https://localhost:${collector.grpcPort}`;
    const install = await installInjector(cp);
    const items = [
      ...namespaceWithCa(GOOD, ca),
      ...namespaceWithCa(BAD, otherCa),
      ...Array.from({ length: MANY }, (_, i) => namespaceWithCa(`probe-many-${i}`, ca)).flat(),
    ];
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
    // The probe's own switch and a period longer than the test: every probe counted here is the first scan's.
    injector = await install.startInjector({ COLLECTOR_PROBE: 'true', COLLECTOR_PROBE_INTERVAL_MS: '600000' });
  }, START_MS);

  afterAll(async () => {
    await injector?.stop();
    await collector?.stop();
    await cp?.stop();
  }, STOP_MS);

  it(`the gauge: one series per namespace, ${MANY + 2} in all, for two probes`, async () => {
    const running = injector as RunningInjector;
    await eventually(
      async () => (await series(running, 'aigw_otel_injector_collector_probe')).length === MANY + 2,
      REACT_MS,
    );
    expect(await probeOf(running, GOOD)).toEqual(['ok']);
    expect(await probeOf(running, BAD)).toEqual(['tls-unknown-authority']);
    const all = await series(running, 'aigw_otel_injector_collector_probe');
    expect(all.filter((s) => s.labels.includes('result="ok"'))).toHaveLength(MANY + 1);
    expect(all.every((s) => s.value === 1)).toBe(true);
    // One probe for (endpoint, the right CA), shared by 301 namespaces; one for (endpoint, the other CA).
    const probes = await series(running, 'aigw_otel_injector_collector_probes_total');
    expect(probes.map((p) => [p.labels, p.value]).sort()).toEqual([
      ['{result="ok"}', 1],
      ['{result="tls-unknown-authority"}', 1],
    ]);
  });

  it('a CollectorUnreachable Warning Event on the Namespace with the wrong CA, none on the healthy ones', async () => {
    await eventually(async () => (await eventsWithReason(cp, BAD, 'CollectorUnreachable')).length === 1, REACT_MS);
    const [event] = await eventsWithReason(cp, BAD, 'CollectorUnreachable');
    expect(event).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Namespace', name: BAD },
      source: { component: 'aigw-otel-injector' },
    });
    expect(event.message).toBe(
      `tls-unknown-authority: ${endpoint}: certificate not signed by a CA the probe trusts: the CA ConfigMap's, or the public roots without one (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
    );
    expect(await eventsWithReason(cp, GOOD, 'CollectorUnreachable')).toEqual([]);
    expect(await eventsWithReason(cp, GOOD, 'CollectorReachable')).toEqual([]);
  });

  it('`status`: the collector column in JSON and text', async () => {
    const { report, text } = await status(cp);
    const bad = report.namespaces.find((n) => n.name === BAD);
    expect(bad?.collector).toMatchObject({ result: 'tls-unknown-authority' });
    expect(bad?.collector.reason).toContain(endpoint);
    expect(report.namespaces.find((n) => n.name === GOOD)?.collector).toMatchObject({ result: 'none' });
    expect(text).toMatch(
      new RegExp(`namespace ${BAD}:[^\\n]*\\n(  [^\\n]*\\n)*  collector: tls-unknown-authority \\(since `),
    );
  });

  it('the CA fixed and the namespace changed: ok in the gauge, a Normal Event, and in `status`', async () => {
    const running = injector as RunningInjector;
    const fixed = namespaceWithCa(BAD, ca)[1];
    await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(fixed) });
    // The probe looks again when the namespace changes (or at its next period).
    await cp.kubectl(['annotate', 'namespace', BAD, 'aigw-otel.io/ca-key=ca.crt']);
    await eventually(async () => (await probeOf(running, BAD))[0] === 'ok', REACT_MS);
    expect(await probeOf(running, BAD)).toEqual(['ok']);
    await eventually(async () => (await eventsWithReason(cp, BAD, 'CollectorReachable')).length === 1, REACT_MS);
    const [event] = await eventsWithReason(cp, BAD, 'CollectorReachable');
    expect(event).toMatchObject({ type: 'Normal', message: `ok: ${endpoint}: reachable` });
    const { report } = await status(cp);
    expect(report.namespaces.find((n) => n.name === BAD)?.collector).toMatchObject({ result: 'ok' });
    const probes = await series(running, 'aigw_otel_injector_collector_probes_total');
    expect(probes.map((p) => [p.labels, p.value]).sort(), 'the fixed CA is the shared one: cached').toEqual([
      ['{result="ok"}', 1],
      ['{result="tls-unknown-authority"}', 1],
    ]);
  });
});
