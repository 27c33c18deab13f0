import { connect } from 'node:tls';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { container, corePod, review } from '../fixtures/pods.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { applyStrict, decodePatch, otelEnv } from '../helpers/pod-checks.js';

const ENDPOINT = 'https://collector:4317';
let server: TestInjector;
beforeAll(async () => {
  server = await startTestInjector(namespacesYaml({ 'ai-gateway': { 'aigw-otel.io/endpoint': ENDPOINT } }));
});
afterAll(() => server.stop());

const raw = (body: string | Buffer, type = 'application/json', path = '/mutate-pods') =>
  request(server.url).post(path).ca(server.certs.ca).set('Content-Type', type).send(body);

describe('admission protocol', () => {
  it.each([['admission.k8s.io/v1'], ['admission.k8s.io/v1beta1']])(
    'answers %s in the same apiVersion with the request uid',
    async (apiVersion) => {
      const body = review(corePod(), {}, apiVersion);
      const res = await server
        .post(body)
        .expect(200)
        .expect('Content-Type', /application\/json/);
      expect(res.body).toMatchObject({
        apiVersion,
        kind: 'AdmissionReview',
        response: { uid: body.request.uid, allowed: true },
      });
      expect(res.body.response.patchType).toBe('JSONPatch');
    },
  );

  it.each([
    ['UPDATE of a pod', { operation: 'UPDATE', oldObject: corePod() }],
    ['DELETE of a pod', { operation: 'DELETE', object: null, oldObject: corePod() }],
    [
      'a CREATE of another kind',
      {
        kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
        resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      },
    ],
    ['a CREATE on a pod subresource', { subResource: 'binding', kind: { group: '', version: 'v1', kind: 'Binding' } }],
  ])('allows %s unchanged, without patch or patchType', async (_name, overrides) => {
    const body = review(corePod(), overrides);
    const res = await server.post(body).expect(200);
    expect(res.body.response).toEqual({ uid: body.request.uid, allowed: true });
  });

  it('gives a dryRun review the same answer as a real one', async () => {
    const real = await server.post(review(corePod(), { uid: 'same' })).expect(200);
    const dry = await server.post(review(corePod(), { uid: 'same', dryRun: true })).expect(200);
    expect(dry.body).toEqual(real.body);
  });

  it('takes the namespace from request.namespace, not the object', async () => {
    const input = corePod({ namespace: 'elsewhere' });
    const res = await server.post(review(input, { namespace: 'ai-gateway' })).expect(200);
    expect(otelEnv(applyStrict(input, decodePatch(res.body.response.patch)), 'aigw')).toHaveProperty(
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      ENDPOINT,
    );
  });

  it('admits a 1 MiB pod', async () => {
    const big = corePod({ env: [{ name: 'BLOB', value: 'x'.repeat(1024 * 1024) }] });
    const res = await server.post(review(big)).expect(200);
    expect(res.body.response.patchType).toBe('JSONPatch');
  });

  it.each([
    ['not JSON', '{"apiVersion": ', 'application/json', 400, /not valid JSON/],
    ['JSON but not an object', '[1,2,3]', 'application/json', 400, /not a JSON object/],
    [
      'not an AdmissionReview',
      JSON.stringify({ kind: 'Pod', apiVersion: 'v1' }),
      'application/json',
      400,
      /AdmissionReview/,
    ],
    [
      'an unknown apiVersion',
      JSON.stringify({ ...review(corePod()), apiVersion: 'admission.k8s.io/v2' }),
      'application/json',
      400,
      /apiVersion/,
    ],
    [
      'no request',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
      'application/json',
      400,
      /request is missing/,
    ],
    ['no uid', JSON.stringify(review(corePod(), { uid: undefined })), 'application/json', 400, /uid/],
    ['a uid that is not a string', JSON.stringify(review(corePod(), { uid: 42 })), 'application/json', 400, /uid/],
    ['a wrong content type', JSON.stringify(review(corePod())), 'text/plain', 415, /application\/json/],
    ['an unsupported charset', JSON.stringify(review(corePod())), 'application/json; charset=latin1', 415, /charset/],
  ])('refuses %s with a short JSON error', async (_name, body, type, status, message) => {
    const res = await raw(body, type)
      .expect(status)
      .expect('Content-Type', /application\/json/);
    expect(res.body.error).toMatch(message);
  });

  it('refuses a body over 7 MiB with 413', async () => {
    const huge = JSON.stringify(review(corePod({ annotations: { blob: 'x'.repeat(7 * 1024 * 1024) } })));
    const res = await raw(huge).expect(413);
    expect(res.body.error).toMatch(/larger than/);
  });

  it('answers an unknown path with 404 and a GET of the webhook with 405', async () => {
    await raw('{}', 'application/json', '/mutate-deployments').expect(404);
    await request(server.url).get('/mutate-pods').ca(server.certs.ca).expect(405).expect('Allow', 'POST');
  });

  it('keeps serving after bad requests, and counts them', async () => {
    await raw('nonsense').expect(400);
    await raw('x'.repeat(8 * 1024 * 1024)).expect(413);
    const res = await server.post(review(corePod())).expect(200);
    expect(res.body.response.patchType).toBe('JSONPatch');
    const metrics = await request(server.adminUrl).get('/metrics').expect(200);
    expect(metrics.text).toMatch(
      /aigw_otel_injector_reviews_total\{webhook="mutate-pods",outcome="bad_request",reason="http-400"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /aigw_otel_injector_reviews_total\{webhook="mutate-pods",outcome="patched",reason="injected"\} [1-9]/,
    );
    expect(metrics.text).toMatch(/aigw_otel_injector_injections_total\{role="core",result="injected"\} [1-9]/);
    expect(metrics.text).toMatch(/aigw_otel_injector_review_duration_seconds_bucket/);
  });

  it('counts warnings by annotation, with a fixed word for keys that are not ours', async () => {
    const annotations = {
      'aigw-otel.io/metric-export-interval': 'soon',
      'aigw-otel.io/x-tenant-chosen-key-1': 'a',
      'aigw-otel.io/x-tenant-chosen-key-2': 'b',
    };
    await server.post(review(corePod({ annotations }))).expect(200);
    const text = (await request(server.adminUrl).get('/metrics').expect(200)).text;
    expect(text).toMatch(
      /aigw_otel_injector_warnings_total\{annotation="metric-export-interval",kind="annotation"\} [1-9]/,
    );
    expect(text).toMatch(/aigw_otel_injector_warnings_total\{annotation="unknown",kind="annotation"\} [2-9]/);
    expect(text).not.toContain('x-tenant-chosen-key');
    expect(text).toMatch(/^aigw_otel_injector_namespaces_synced 1$/m);
  });

  it('refuses TLS 1.1 and accepts TLS 1.2', async () => {
    const handshake = (maxVersion: 'TLSv1.1' | 'TLSv1.2') =>
      new Promise<string>((resolve) => {
        const socket = connect({
          host: '127.0.0.1',
          port: server.injector.webhookPort,
          ca: server.certs.ca,
          servername: 'localhost',
          minVersion: 'TLSv1',
          maxVersion,
        });
        socket.once('secureConnect', () => {
          resolve(socket.getProtocol() ?? '');
          socket.end();
        });
        socket.once('error', () => resolve('refused'));
      });
    expect(await handshake('TLSv1.1')).toBe('refused');
    expect(await handshake('TLSv1.2')).toBe('TLSv1.2');
  });
});

describe('logs', () => {
  it('write one line per review with the decision, and no env values or objects', async () => {
    const secret = 'sk-live-super-secret-token';
    const input = corePod({ env: [{ name: 'OPENAI_API_KEY', value: secret }] });
    input.spec.containers.push(
      container({ name: 'side', image: 'busybox', env: [{ name: 'PASSWORD', value: secret }] }),
    );
    const body = review(input, { uid: 'log-check' });
    await server.post(body).expect(200);
    const lines = server
      .logs()
      .split('\n')
      .filter((l) => l.includes('"uid":"log-check"'));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line).toMatchObject({
      webhook: 'mutate-pods',
      namespace: 'ai-gateway',
      name: 'aigw-6d4b9c7f8d-',
      reason: 'injected',
      roles: 'core',
      outcome: 'patched',
    });
    expect(typeof line.durationMs).toBe('number');
    expect(server.logs()).not.toContain(secret);
  });
});

describe('admin port', () => {
  it('answers /healthz and /readyz once namespaces and the certificate are loaded', async () => {
    await request(server.adminUrl).get('/healthz').expect(200);
    await request(server.adminUrl).get('/readyz').expect(200);
    await request(server.adminUrl).get('/nothing').expect(404);
  });
});
