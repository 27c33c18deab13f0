/** The collector column of `status`: read back from the probe's Events on each namespace, or why it is not there. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStatus } from '../../src/cli/status.js';
import { collectorStatus } from '../../src/cli/status-report.js';
import { kubeApi } from '../../src/kube/api.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';

const a = (k: string) => `aigw-otel.io/${k}`;
const WARNING = {
  reason: 'CollectorUnreachable',
  message: 'tls-expired: https://c:4317: certificate has expired (CERT_HAS_EXPIRED)',
  time: '2026-12-05T01:00:00.000Z',
};

describe('collectorStatus', () => {
  it.each([
    [
      [WARNING],
      {
        result: 'tls-expired',
        reason: 'https://c:4317: certificate has expired (CERT_HAS_EXPIRED)',
        since: WARNING.time,
      },
    ],
    [
      [],
      {
        result: 'none',
        reason: 'no probe Event: the result has not changed within the event TTL, or nothing was probed',
      },
    ],
    [
      { error: 'API server answered 403' },
      { result: 'not-read', reason: "cannot list the namespace's Events: API server answered 403" },
    ],
  ])('%j', (events, column) => {
    expect(collectorStatus(events)).toEqual(column);
  });
});

describe('status with the collector column', () => {
  let api: StandInApiServer;
  beforeAll(async () => {
    api = await new StandInApiServer().start();
    api.setNamespace('broken', { [a('endpoint')]: 'https://c:4317' });
    api.setNamespace('fine', { [a('endpoint')]: 'https://c:4317' });
    api.setNamespace('unreadable', { [a('endpoint')]: 'https://c:4317' });
  });
  afterAll(() => api.stop());

  const reader = (namespace: string) => {
    if (namespace === 'broken') return Promise.resolve([WARNING]);
    if (namespace === 'fine')
      return Promise.resolve([{ ...WARNING, reason: 'CollectorReachable', message: 'ok: https://c:4317: reachable' }]);
    return Promise.reject(new Error('API server answered 403'));
  };

  it('JSON: each namespace its column; the exit code stays the pods’', async () => {
    const r = await runStatus(kubeApi(api.kubeConfig()), 'json', reader);
    expect(r.code).toBe(0);
    const byName = Object.fromEntries(JSON.parse(r.stdout).namespaces.map((n: any) => [n.name, n.collector]));
    expect(byName).toEqual({
      broken: {
        result: 'tls-expired',
        reason: 'https://c:4317: certificate has expired (CERT_HAS_EXPIRED)',
        since: WARNING.time,
      },
      fine: { result: 'ok', reason: 'https://c:4317: reachable', since: WARNING.time },
      unreadable: { result: 'not-read', reason: "cannot list the namespace's Events: Error: API server answered 403" },
    });
  });

  it('text: one line per namespace', async () => {
    const r = await runStatus(kubeApi(api.kubeConfig()), 'text', reader);
    expect(r.stdout).toContain(
      `  collector: tls-expired (since ${WARNING.time}): https://c:4317: certificate has expired (CERT_HAS_EXPIRED)\n`,
    );
    expect(r.stdout).toContain(`  collector: ok (since ${WARNING.time}): https://c:4317: reachable\n`);
    expect(r.stdout).toContain(
      "  collector: not-read: cannot list the namespace's Events: Error: API server answered 403\n",
    );
  });

  it('without an Event reader: not read, said so', async () => {
    const r = await runStatus(kubeApi(api.kubeConfig()), 'text');
    expect(r.stdout).toContain("  collector: not-read: cannot list the namespace's Events: not asked\n");
  });
});
