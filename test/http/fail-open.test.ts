import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewHandlers } from '../../src/http/handlers.js';
import { createWebhookApp } from '../../src/http/webhook-app.js';
import type { NamespaceSource } from '../../src/namespaces/source.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { corePod, review } from '../fixtures/pods.js';
import { makeCerts, type DevCerts } from '../helpers/injector.js';

/** A namespace source with a bug in it: every lookup throws. */
const broken: NamespaceSource = {
  get: () => {
    throw new TypeError('boom');
  },
  ready: () => true,
  stop: () => undefined,
};

let certs: DevCerts;
let url: string;
const lines: string[] = [];
const metrics = createMetrics();
const server = createServer();
beforeAll(async () => {
  certs = makeCerts();
  server.setSecureContext({ cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) });
  const sink = new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) });
  const logger = createLogger('info', sink);
  const handlers = reviewHandlers({ lookup: (name) => broken.get(name), metrics });
  server.on('request', createWebhookApp(handlers, { logger, metrics, isShuttingDown: () => false }));
  await new Promise<void>((resolve) => server.listen(0, resolve));
  url = `https://localhost:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('our own bug never blocks a pod', () => {
  it('admits the pod unchanged with a warning, an error log line and a metric', async () => {
    const body = review(corePod(), { uid: 'fail-open' });
    const res = await request(url)
      .post('/mutate-pods')
      .ca(certs.ca)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body))
      .expect(200);
    expect(res.body.response).toEqual({
      uid: 'fail-open',
      allowed: true,
      warnings: ['aigw-otel-injector: internal error; admitted unchanged, nothing injected'],
    });
    const line = JSON.parse(lines.find((l) => l.includes('"uid":"fail-open"')) ?? '{}');
    expect(line).toMatchObject({
      level: 50,
      reason: 'internal-error',
      outcome: 'failed_open',
      error: { type: 'TypeError', message: 'boom' },
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'aigw_otel_injector_reviews_total{webhook="mutate-pods",outcome="failed_open",reason="internal-error"} 1',
    );
  });
});
