import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corePod, otherPod, review } from '../fixtures/pods.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';

let server: TestInjector;
beforeAll(async () => {
  server = await startTestInjector(
    namespacesYaml({ 'ai-gateway': { 'aigw-otel.io/endpoint': 'https://collector:4317' } }),
  );
});
afterAll(() => server.stop());

/** One POST over HTTPS, with the headers exactly as they came off the wire (names, case and order). */
function post(body: string): Promise<{ status: number; rawHeaders: string[]; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/mutate-pods?timeout=10s`,
      { method: 'POST', ca: server.certs.ca, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the bytes of a review answer', () => {
  // Small answers go out of express as strings, large ones (a patch) were Buffers: both must look the same.
  it.each([
    ['a patched pod (an answer over 1,000 characters)', corePod(), true],
    ['a pod left alone (a short answer)', otherPod(), false],
  ])('%s: status, headers in order, a body of the declared length', async (_name, pod, large) => {
    const { status, rawHeaders, text } = await post(JSON.stringify(review(pod, { namespace: 'ai-gateway' })));
    expect(status).toBe(200);
    const names = rawHeaders.filter((_, i) => i % 2 === 0);
    expect(names).toEqual(['Content-Type', 'Content-Length', 'Date', 'Connection', 'Keep-Alive']);
    const header = (name: string) => rawHeaders[rawHeaders.indexOf(name) + 1];
    expect(header('Content-Type')).toBe('application/json; charset=utf-8');
    expect(Number(header('Content-Length'))).toBe(Buffer.byteLength(text));
    expect(text.length > 1000).toBe(large);
    expect(JSON.parse(text)).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  });
});
