import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corePod, review } from '../fixtures/pods.js';
import { eventually } from '../helpers/eventually.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { answeredSince, keepSending } from '../helpers/review-client.js';

let server: TestInjector;
beforeAll(async () => {
  server = await startTestInjector(namespacesYaml({ 'ai-gateway': { 'aigw-otel.io/endpoint': 'https://c:4317' } }));
});
afterAll(() => server.stop());

/** The fingerprint of the certificate a new TLS connection is served, trusting any of the given CAs. */
const servedFingerprint = (cas: Buffer[]) =>
  new Promise<string>((resolve, reject) => {
    const s = connect(
      { host: '127.0.0.1', port: server.injector.webhookPort, ca: cas, servername: 'localhost' },
      () => {
        resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
        s.end();
      },
    );
    s.once('error', reject);
  });
const fileFingerprint = () => new X509Certificate(readFileSync(server.certs.certFile)).fingerprint256;
// A renewal under the same CA, as cert-manager does it: the API server's caBundle stays valid.
const regenerate = () =>
  execFileSync('bash', ['certs/generate.sh', '--out', server.certs.dir, '--reuse-ca', '--quiet']);

describe('serving certificate hot reload', () => {
  it('rotates while reviews flow over keep-alive connections, without a failed review', async () => {
    const cas: Buffer[] = [server.certs.ca];
    const body = JSON.stringify(review(corePod()));
    const load = keepSending(server.injector.webhookPort, server.certs.ca, body);
    for (let i = 0; i < 2; i++) {
      regenerate();
      const expected = fileFingerprint();
      await eventually(
        async () => (await servedFingerprint(cas)) === expected,
        8000,
        `rotation ${i + 1} not picked up`,
      );
      // Reviews went on across this rotation (not a count in a time window: a busy machine answers fewer).
      const servedAt = Date.now();
      await eventually(() => answeredSince(load.result, servedAt) > 0, 10_000, `no review after rotation ${i + 1}`);
    }
    const result = await load.stop();
    expect(result.halfAnswered).toEqual([]);
    expect(result.notAnswered).toEqual([]);
    const metrics = await request(server.adminUrl).get('/metrics');
    const expiry = Math.floor(
      new Date(new X509Certificate(readFileSync(server.certs.certFile)).validTo).getTime() / 1000,
    );
    expect(metrics.text).toContain(`aigw_otel_injector_certificate_expiry_timestamp_seconds ${expiry}`);
  });

  it('refuses a broken or mismatched pair and keeps serving the last good one', async () => {
    const cas = [readFileSync(`${server.certs.dir}/ca.crt`)];
    const good = fileFingerprint();
    writeFileSync(
      server.certs.keyFile,
      readFileSync(server.certs.keyFile)
        .toString()
        .replace(/[A-Za-z]/g, (c) => (c === 'A' ? 'B' : 'A')),
    );
    await eventually(() => server.logs().includes('serving certificate not reloaded'), 8000);
    expect(await servedFingerprint(cas)).toBe(good);
    const res = await request(server.url)
      .post('/mutate-pods')
      .ca(cas)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(review(corePod())))
      .expect(200);
    expect(res.body.response.allowed).toBe(true);
  });
});
