import fc from 'fast-check';
import { Agent, request } from 'node:https';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corePod, review } from '../fixtures/pods.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { applyStrict, decodePatch, otelEnv } from '../helpers/pod-checks.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log(`HTTP fuzz: fast-check seed ${SEED} (replay with FC_SEED=${SEED}), ${RUNS} requests`);
// A request that takes longer than this is a hang: the server answers a review in milliseconds.
const HANG_MS = 5000;

let server: TestInjector;
let agent: Agent;
beforeAll(async () => {
  server = await startTestInjector(namespacesYaml({ 'ai-gateway': { 'aigw-otel.io/endpoint': 'https://c:4317' } }));
  agent = new Agent({ keepAlive: true, maxSockets: 8, ca: server.certs.ca });
});
afterAll(async () => {
  agent.destroy();
  await server.stop();
});

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

function send({ method, path, headers, body }: Sent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.injector.webhookPort,
        servername: 'localhost',
        method,
        path,
        agent,
        headers,
        timeout: HANG_MS,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`hang: no answer in ${HANG_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Replaces the n-th node (depth first) of a JSON value with another value. */
function replaceNode(value: unknown, n: { left: number }, replacement: unknown): unknown {
  if (n.left-- === 0) return replacement;
  if (Array.isArray(value)) return value.map((v) => replaceNode(v, n, replacement));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceNode(v, n, replacement)]));
  }
  return value;
}

const validReview = review(corePod());
const paths = fc.oneof(
  fc.constantFrom(
    '/mutate-pods',
    '/validate-namespaces',
    '/mutate-pods?timeout=10s',
    '/',
    '/healthz',
    '/mutate-pods/../x',
    '//mutate-pods',
    '/%ff',
    '/mutate-pods?timeout=%zz',
  ),
  fc.string({ maxLength: 40 }).map((s) => `/${encodeURIComponent(s)}`),
);
const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  '',
);
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.nat({ max: 400 }).map((cut) => Buffer.from(JSON.stringify(validReview).slice(0, cut))),
  fc
    .tuple(fc.nat({ max: 120 }), fc.jsonValue())
    .map(([at, v]) => Buffer.from(JSON.stringify(replaceNode(validReview, { left: at }, v)))),
  fc.nat({ max: 5000 }).map((depth) => Buffer.from('['.repeat(depth) + ']'.repeat(depth))),
  fc.constant(
    Buffer.from(
      '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","object":' + '1e999999' + '}}',
    ),
  ),
  fc.constant(Buffer.from('\uFEFF' + JSON.stringify(validReview))),
);
const sent: fc.Arbitrary<Sent> = fc
  .record({
    method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
    path: paths,
    type: contentTypes,
    encoding: fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity', 'bogus'),
    gzipped: fc.boolean(),
    body: bodies,
  })
  .map(({ method, path, type, encoding, gzipped, body }) => {
    const headers: Record<string, string> = {};
    if (type !== '') headers['content-type'] = type;
    if (encoding !== undefined) headers['content-encoding'] = encoding;
    return { method, path, headers, body: encoding === 'gzip' && gzipped ? gzipSync(body) : body };
  });

describe('fuzzing the HTTP surface', () => {
  it('never answers 5xx, never hangs, never crashes', async () => {
    await fc.assert(
      fc.asyncProperty(sent, async (s) => {
        const { status } = await send(s);
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status, `${s.method} ${s.path}`).toBeLessThan(500);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('still answers a valid review correctly afterwards, on both webhooks', async () => {
    const input = corePod();
    const body = JSON.stringify(review(input, { uid: 'after-fuzz' }));
    const res = await send({
      method: 'POST',
      path: '/mutate-pods',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(body),
    });
    expect(res.status).toBe(200);
    const response = JSON.parse(res.text).response;
    expect(response.uid).toBe('after-fuzz');
    expect(otelEnv(applyStrict(input, decodePatch(response.patch)), 'aigw').OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe(
      'https://c:4317',
    );
    const ns = {
      ...review(
        { metadata: { name: 'x', annotations: { 'aigw-otel.io/endpoint': 'nope' } } },
        { kind: { group: '', version: 'v1', kind: 'Namespace' } },
      ),
    };
    const denied = await send({
      method: 'POST',
      path: '/validate-namespaces',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(ns)),
    });
    expect(JSON.parse(denied.text).response.allowed).toBe(false);
  });
});
