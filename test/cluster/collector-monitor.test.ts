/**
 * The collector probe's loop, with a probe that counts its calls and answers from a table, and an API that serves
 * CA ConfigMaps from a map: what it probes (once per endpoint and CA), the gauge (one series per namespace, dropped
 * when the namespace goes or leadership is lost), the Events on change, and a change probing only what changed.
 * Against the real Collector: test/real-sdk/collector-probe.test.ts; the cluster: test/real-cluster/collector-probe.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Outcome, ProbeTarget } from '../../src/core/collector-probe.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { CollectorMonitor } from '../../src/rollout/collector-monitor.js';
import { memoryLogger } from '../helpers/silent.js';

const a = (k: string) => `aigw-otel.io/${k}`;
const tlsNs = (endpoint: string, ca = 'collector-ca') => ({ [a('endpoint')]: endpoint, [a('ca-configmap')]: ca });

interface Setup {
  monitor: CollectorMonitor;
  metrics: Metrics;
  probes: { endpoint: string; ca: string | undefined }[];
  events: { namespace: string; reason: string; message: string; type: string }[];
  namespaces: Map<string, Record<string, string>>;
  configMaps: Map<string, string | undefined | Error>;
  answers: Map<string, Outcome>;
  leader: { is: boolean };
  logs: () => string;
}

/** Retries an assertion until it holds (the loop runs on its own), failing with its last error after 8 s. */
async function eventually(check: () => unknown): Promise<void> {
  const deadline = Date.now() + 8000;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

let running: CollectorMonitor | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function setup(namespaces: Record<string, Record<string, string>>, periodMs = 60_000): Setup {
  const metrics = createMetrics();
  const { logger, text } = memoryLogger();
  const s: Omit<Setup, 'monitor'> = {
    metrics,
    probes: [],
    events: [],
    namespaces: new Map(Object.entries(namespaces)),
    configMaps: new Map(),
    answers: new Map(),
    leader: { is: true },
    logs: text,
  };
  const monitor = new CollectorMonitor({
    api: {
      getConfigMapValue: (namespace, name) => {
        const v = s.configMaps.get(`${namespace}/${name}`);
        if (v instanceof Error) return Promise.reject(v);
        return Promise.resolve(s.configMaps.has(`${namespace}/${name}`) ? { value: v } : null);
      },
    },
    logger,
    metrics,
    namespaces: () => s.namespaces,
    isLeader: () => s.leader.is,
    record: (target, reason, message, type) => s.events.push({ namespace: target.name, reason, message, type }),
    probe: (target: ProbeTarget, ca) => {
      s.probes.push({ endpoint: target.endpoint, ca });
      return Promise.resolve(s.answers.get(target.endpoint) ?? { result: 'ok', reason: 'reachable' });
    },
    tuning: { periodMs, timeoutMs: 1000 },
  });
  running = monitor;
  return { ...s, monitor };
}

/** The gauge's series: namespace → result (value 1). */
async function series(metrics: Metrics): Promise<Record<string, string>> {
  const { values } = await metrics.collectorProbe.get();
  return Object.fromEntries(
    values.map((v) => {
      expect(v.value).toBe(1);
      return [String(v.labels.namespace), String(v.labels.result)];
    }),
  );
}

describe('the collector probe loop', () => {
  it('300 namespaces with one Collector and one CA: one probe; each namespace gets its series', async () => {
    const names = Array.from({ length: 300 }, (_, i) => `gw-${i}`);
    const s = setup(Object.fromEntries(names.map((n) => [n, tlsNs('https://collector.obs:4317')])));
    for (const n of names) s.configMaps.set(`${n}/collector-ca`, 'THE-CA');
    s.monitor.start();
    await eventually(async () => expect(Object.keys(await series(s.metrics))).toHaveLength(300));
    expect(s.probes).toEqual([{ endpoint: 'https://collector.obs:4317', ca: 'THE-CA' }]);
    expect(Object.values(await series(s.metrics)).every((r) => r === 'ok')).toBe(true);
    expect((await s.metrics.collectorProbes.get()).values).toEqual([
      expect.objectContaining({ labels: { result: 'ok' }, value: 1 }),
    ]);
    expect(s.events, 'a healthy start is no news').toEqual([]);
  });

  it('each kind of namespace: its result, an Event for a problem, nothing for the unconfigured', async () => {
    const s = setup({
      fine: tlsNs('https://ok.obs:4317'),
      expired: tlsNs('https://expired.obs:4317'),
      'no-cm': tlsNs('https://ok.obs:4317', 'absent'),
      'no-key': { ...tlsNs('https://ok.obs:4317', 'other'), [a('ca-key')]: 'root.pem' },
      node: { [a('endpoint')]: 'http://agent:4317', [a('endpoint-host')]: 'node' },
      plain: { [a('endpoint')]: 'http://plain.obs:4317', [a('ca-configmap')]: 'absent' },
      'ca-only': { [a('ca-configmap')]: 'collector-ca' },
      unannotated: {},
    });
    for (const n of ['fine', 'expired']) s.configMaps.set(`${n}/collector-ca`, 'CA');
    s.configMaps.set('no-key/other', undefined);
    s.answers.set('https://expired.obs:4317', { result: 'tls-expired', reason: 'certificate has expired' });
    s.monitor.start();
    await eventually(async () => expect(Object.keys(await series(s.metrics))).toHaveLength(6));
    expect(await series(s.metrics)).toEqual({
      fine: 'ok',
      expired: 'tls-expired',
      'no-cm': 'ca-missing',
      'no-key': 'ca-missing',
      node: 'not-probed-node-local',
      plain: 'ok',
    });
    // One probe per (endpoint, CA): fine's, expired's, and plain's TCP connect (no CA: it needs none).
    expect(s.probes.map((p) => `${p.endpoint} ${p.ca}`).sort()).toEqual([
      'http://plain.obs:4317 undefined',
      'https://expired.obs:4317 CA',
      'https://ok.obs:4317 CA',
    ]);
    expect(s.events.sort((x, y) => x.namespace.localeCompare(y.namespace))).toEqual([
      {
        namespace: 'expired',
        type: 'Warning',
        reason: 'CollectorUnreachable',
        message: 'tls-expired: https://expired.obs:4317: certificate has expired',
      },
      {
        namespace: 'no-cm',
        type: 'Warning',
        reason: 'CollectorUnreachable',
        message: 'ca-missing: ConfigMap absent not found: pods get no CA, nothing was probed',
      },
      {
        namespace: 'no-key',
        type: 'Warning',
        reason: 'CollectorUnreachable',
        message: 'ca-missing: ConfigMap other has no key root.pem: pods get no CA, nothing was probed',
      },
    ]);
    expect(s.logs()).toContain('collector probe: tls-expired: https://expired.obs:4317: certificate has expired');
  });

  it('a change probes the changed namespace at once, from the cache when its (endpoint, CA) was probed', async () => {
    const s = setup({ one: tlsNs('https://c.obs:4317') });
    s.configMaps.set('one/collector-ca', 'CA');
    s.configMaps.set('two/collector-ca', 'CA');
    s.configMaps.set('three/collector-ca', 'OTHER-CA');
    s.monitor.start();
    await eventually(async () => expect(await series(s.metrics)).toEqual({ one: 'ok' }));
    s.namespaces.set('two', tlsNs('https://c.obs:4317'));
    s.monitor.namespaceChanged('two');
    await eventually(async () => expect(await series(s.metrics)).toEqual({ one: 'ok', two: 'ok' }));
    expect(s.probes, 'same endpoint and CA: no new probe').toHaveLength(1);
    s.answers.set('https://c.obs:4317', { result: 'unreachable', reason: 'connection refused' });
    s.namespaces.set('three', tlsNs('https://c.obs:4317'));
    s.monitor.namespaceChanged('three');
    await eventually(async () =>
      expect(await series(s.metrics)).toEqual({ one: 'ok', two: 'ok', three: 'unreachable' }),
    );
    expect(s.probes.map((p) => p.ca)).toEqual(['CA', 'OTHER-CA']);
  });

  it('a namespace that changes its result changes its one series and gets an Event; one unconfigured drops out', async () => {
    const s = setup({ ns: tlsNs('https://c.obs:4317'), other: tlsNs('https://c.obs:4317') });
    s.configMaps.set('ns/collector-ca', 'CA');
    s.configMaps.set('other/collector-ca', 'CA');
    s.answers.set('https://c.obs:4317', { result: 'tls-name-mismatch', reason: 'wrong name' });
    s.monitor.start();
    await eventually(async () => expect((await series(s.metrics)).ns).toBe('tls-name-mismatch'));
    s.configMaps.set('ns/collector-ca', 'FIXED-CA');
    s.answers.set('https://c.obs:4317', { result: 'ok', reason: 'reachable' });
    s.monitor.namespaceChanged('ns');
    await eventually(async () => expect(await series(s.metrics)).toEqual({ ns: 'ok', other: 'tls-name-mismatch' }));
    expect(s.events.filter((e) => e.namespace === 'ns').map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Warning', 'CollectorUnreachable', 'tls-name-mismatch: https://c.obs:4317: wrong name'],
      ['Normal', 'CollectorReachable', 'ok: https://c.obs:4317: reachable'],
    ]);
    s.namespaces.set('ns', {});
    s.monitor.namespaceChanged('ns');
    await eventually(async () => expect(await series(s.metrics)).toEqual({ other: 'tls-name-mismatch' }));
    s.namespaces.delete('other');
    s.monitor.namespaceChanged('other');
    await eventually(async () => expect(await series(s.metrics)).toEqual({}));
  });

  it('a CA that cannot be read keeps the last result and is logged', async () => {
    const s = setup({ ns: tlsNs('https://c.obs:4317') });
    s.configMaps.set('ns/collector-ca', 'CA');
    s.monitor.start();
    await eventually(async () => expect(await series(s.metrics)).toEqual({ ns: 'ok' }));
    s.configMaps.set('ns/collector-ca', new Error('API server answered 500'));
    s.answers.set('https://c.obs:4317', { result: 'unreachable', reason: 'x' });
    s.monitor.namespaceChanged('ns');
    await eventually(() => expect(s.logs()).toContain('collector probe: cannot read the CA'));
    expect(await series(s.metrics)).toEqual({ ns: 'ok' });
  });

  it('only the leader probes; losing the Lease drops every series; leading again probes afresh', async () => {
    const s = setup({ ns: tlsNs('https://c.obs:4317') });
    s.configMaps.set('ns/collector-ca', 'CA');
    s.leader.is = false;
    s.monitor.start();
    s.monitor.namespaceChanged('ns');
    await new Promise((r) => setTimeout(r, 100));
    expect(s.probes).toEqual([]);
    s.leader.is = true;
    s.monitor.leadershipAcquired();
    await eventually(async () => expect(await series(s.metrics)).toEqual({ ns: 'ok' }));
    s.leader.is = false;
    s.monitor.leadershipLost();
    expect(await series(s.metrics)).toEqual({});
    s.leader.is = true;
    s.monitor.leadershipAcquired();
    await eventually(async () => expect(await series(s.metrics)).toEqual({ ns: 'ok' }));
    expect(s.probes, 'the cache went with the Lease').toHaveLength(2);
  });

  it('every period probes everything again, once per (endpoint, CA), and forgets deleted namespaces', async () => {
    const s = setup({ a: tlsNs('https://c.obs:4317'), b: tlsNs('https://c.obs:4317') }, 200);
    s.configMaps.set('a/collector-ca', 'CA');
    s.configMaps.set('b/collector-ca', 'CA');
    s.monitor.start();
    await eventually(() => expect(s.probes.length).toBeGreaterThanOrEqual(2));
    s.namespaces.delete('b');
    await eventually(async () => expect(await series(s.metrics)).toEqual({ a: 'ok' }));
    const before = s.probes.length;
    await eventually(() => expect(s.probes.length).toBeGreaterThan(before));
  });
});
