import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeApi } from '../../src/kube/api.js';
import { clusterNamespaceSource, DEFAULT_TUNING } from '../../src/namespaces/cluster-source.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { eventually } from '../helpers/eventually.js';
import { memoryLogger } from '../helpers/silent.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';

const FAST = { ...DEFAULT_TUNING, backoffBaseMs: 20, backoffCapMs: 200, pageSize: 2 };
const ep = (url: string) => ({ 'aigw-otel.io/endpoint': url });
// timeoutSeconds of the webhooks (manifests/base): an answer later than this is no answer to the API server.
const REVIEW_TIMEOUT_MS = 5000;
// A GET answered this late is past the source's 2 s miss deadline by the whole of a loaded machine's slack.
const SLOW_ANSWER_MS = 5000;

let api: StandInApiServer;
let source: ReturnType<typeof clusterNamespaceSource>;
let log: ReturnType<typeof memoryLogger>;

beforeEach(async () => {
  api = await new StandInApiServer().start();
  for (const n of ['a', 'b', 'c', 'd', 'e']) api.setNamespace(n, ep(`http://${n}:4317`));
  api.setNamespace('plain', { 'example.com/team': 'x' });
  log = memoryLogger();
  source = clusterNamespaceSource(kubeApi(api.kubeConfig()), log.logger, createMetrics(), FAST);
  await source.synced;
});
afterEach(async () => {
  source.stop();
  await api.stop();
});

const endpointOf = async (name: string) => (await source.get(name))?.['aigw-otel.io/endpoint'];

describe('namespace informer against the stand-in API server', () => {
  it('lists every page, keeps only our annotations, and answers from memory', async () => {
    expect(source.ready()).toBe(true);
    expect(api.count('GET', (p, q) => p === '/api/v1/namespaces' && q.get('watch') !== 'true')).toBe(3); // 6 namespaces, pages of 2
    expect(await source.get('plain')).toEqual({});
    expect(await endpointOf('e')).toBe('http://e:4317');
    const before = api.requests.length;
    for (let i = 0; i < 100; i++) await source.get('a');
    expect(api.requests.length, 'no API call per review while cached').toBe(before);
  });

  it('follows watch ADDED, MODIFIED and DELETED', async () => {
    await eventually(() => api.watchCalls() === 1);
    api.setNamespace('new', ep('http://new:4317'));
    api.setNamespace('a', ep('http://changed:4317'));
    api.deleteNamespace('b');
    await eventually(async () => (await endpointOf('new')) === 'http://new:4317');
    await eventually(async () => (await endpointOf('a')) === 'http://changed:4317');
    await eventually(() => source.get('b') instanceof Promise, 2000, 'b still cached');
  });

  it('abandons a watch whose response never starts, and retries it', async () => {
    source.stop();
    api.stallWatches = true;
    const quick = { ...FAST, listTimeoutMs: 300 };
    source = clusterNamespaceSource(kubeApi(api.kubeConfig()), log.logger, createMetrics(), quick);
    await source.synced;
    await eventually(() => api.watchCalls() >= 3, 5000, 'the stalled watch is given up and asked again');
    api.stallWatches = false;
    api.setNamespace('after-stall', ep('http://after:4317'));
    await eventually(async () => (await endpointOf('after-stall')) === 'http://after:4317', 5000);
    expect(log.text()).toMatch(/no response headers within 300 ms/);
  });

  it('a cache-miss GET that answers after a newer watch event does not overwrite it', async () => {
    await eventually(() => api.watchCalls() === 1);
    api.setNamespace('racy', ep('http://old:4317'), true); // created; the watch has not told us yet
    api.delays['get-namespace'] = 400;
    const miss = source.get('racy'); // the GET reads the old state, then takes 400 ms to answer
    await new Promise((r) => setTimeout(r, 100));
    api.setNamespace('racy', ep('http://new:4317')); // the watch brings the newer state first
    await eventually(() => source.get('racy') instanceof Promise === false, 2000, 'the watch event arrived');
    expect(await miss).toEqual(ep('http://new:4317'));
    expect(await endpointOf('racy')).toBe('http://new:4317');
  });

  it('resumes a dropped watch from its resourceVersion, without listing again', async () => {
    await eventually(() => api.watchCalls() === 1);
    api.dropWatches();
    api.setNamespace('during-gap', ep('http://gap:4317'));
    await eventually(() => api.watchCalls() >= 2);
    await eventually(async () => (await endpointOf('during-gap')) === 'http://gap:4317');
    expect(api.listCalls()).toBe(3);
  });

  it.each(['event', 'http'] as const)('lists afresh after 410 Gone (as %s)', async (form) => {
    api.expiredWatchAs = form;
    await eventually(() => api.watchCalls() === 1);
    api.dropWatches();
    // A change the watch never saw, then compaction: resuming from the old resourceVersion is impossible.
    api.setNamespace('after-compaction', ep('http://later:4317'), true);
    api.compact();
    await eventually(() => api.listCalls() > 3, 3000, 'no fresh list after 410');
    await eventually(async () => (await endpointOf('after-compaction')) === 'http://later:4317');
  });

  it('answers a miss with one direct GET, shared by concurrent reviews, then caches it', async () => {
    api.setNamespace('fresh', ep('http://fresh:4317'), true);
    const gets = () => api.count('GET', (p) => p === '/api/v1/namespaces/fresh');
    const answers = await Promise.all([source.get('fresh'), source.get('fresh'), source.get('fresh')]);
    expect(answers.map((a) => a?.['aigw-otel.io/endpoint'])).toEqual([
      'http://fresh:4317',
      'http://fresh:4317',
      'http://fresh:4317',
    ]);
    expect(gets()).toBe(1);
    await source.get('fresh');
    expect(gets()).toBe(1);
    expect(await source.get('does-not-exist')).toBeUndefined();
  });

  it('gives up on a slow GET within its 2 s deadline', async () => {
    api.setNamespace('slow', ep('http://slow:4317'), true);
    api.delays['get-namespace'] = SLOW_ANSWER_MS;
    const started = Date.now();
    expect(await source.get('slow')).toBeUndefined();
    // Timed from before the GET was sent: had it waited for the answer, this could not read less than the delay.
    expect(Date.now() - started).toBeLessThan(SLOW_ANSWER_MS);
  });

  it('serves from the cache while the API server is away, and catches up when it is back', async () => {
    await eventually(() => api.watchCalls() === 1);
    await api.goAway();
    expect(await endpointOf('c')).toBe('http://c:4317');
    const started = Date.now();
    expect(await source.get('unknown-namespace')).toBeUndefined();
    // Not held until the API server is back (which it is not, here): answered within the review's time.
    expect(Date.now() - started, 'an unknown namespace is answered in time').toBeLessThan(REVIEW_TIMEOUT_MS);
    await eventually(() => log.text().includes('namespace informer restarting'));
    expect(source.ready(), 'stays ready on its cache').toBe(true);
    api.setNamespace('while-away', ep('http://away:4317'));
    await api.comeBack();
    await eventually(async () => (await endpointOf('while-away')) === 'http://away:4317', 8000);
  });

  it('is not ready until the first list arrives, and retries a failing list', async () => {
    source.stop();
    api.failing.add('list');
    source = clusterNamespaceSource(kubeApi(api.kubeConfig()), log.logger, createMetrics(), FAST);
    await eventually(() => api.listCalls() >= 6, 3000, 'list was not retried');
    expect(source.ready()).toBe(false);
    api.failing.delete('list');
    await source.synced;
    expect(source.ready()).toBe(true);
  });
});
