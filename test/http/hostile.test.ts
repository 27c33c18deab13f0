/**
 * Reviews a tenant can send (anyone who can create a pod controls its labels, annotations and env), each against the
 * server running as its own process: the hostile review, an honest review sent just after it, and the liveness
 * probe must all be answered promptly. A backtracking regex or an unbounded loop over the tenant's strings holds the
 * event loop, and the honest review then waits behind it.
 */
import { request } from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { container, corePod, CORE_IMAGE, pod, review } from '../fixtures/pods.js';
import { makeCerts, namespacesYaml, type DevCerts } from '../helpers/injector.js';
import { freePort, runMain, type Running } from '../helpers/process.js';

// Generous against a shared 2-core CI machine, far under the API server's 5 s review timeout; the defects this
// catches held the loop for 3 to 20 s.
const PROMPT_MS = 2500;

const hostile: [string, () => unknown][] = [
  [
    'its own OTEL_RESOURCE_ATTRIBUTES with 150 KB of blanks before the end',
    () => corePod({ env: [{ name: 'OTEL_RESOURCE_ATTRIBUTES', value: `a=b${' '.repeat(150_000)}c` }] }),
  ],
  [
    'an endpoint of 60,000 slashes over http/protobuf',
    () =>
      corePod({
        annotations: {
          'aigw-otel.io/endpoint': `https://collector:4318${'/'.repeat(60_000)}x`,
          'aigw-otel.io/protocol': 'http/protobuf',
        },
      }),
  ],
  [
    'a 300 KB unknown key under the prefix',
    () => corePod({ annotations: { [`aigw-otel.io/${'x'.repeat(300_000)}`]: 'v' } }),
  ],
  [
    '150,000 unknown keys under the prefix',
    () =>
      corePod({
        annotations: Object.fromEntries(
          Array.from({ length: 150_000 }, (_, i) => [`aigw-otel.io/tracing-endpoin${i}`, '']),
        ),
      }),
  ],
  [
    'container-names of 400,000 names on a pod of 1,000 containers',
    () =>
      pod({
        labels: { 'aigw-otel.io/role': 'core' },
        annotations: { 'aigw-otel.io/container-names': Array.from({ length: 400_000 }, (_, i) => `c${i}`).join(',') },
        containers: Array.from({ length: 1000 }, (_, i) => container({ name: `c${i}`, image: CORE_IMAGE })),
      }),
  ],
  [
    'a 5 MB name, generateName and role label',
    () =>
      corePod({
        labels: { 'aigw-otel.io/role': 'x'.repeat(1_000_000) },
        annotations: { 'aigw-otel.io/ca-configmap': `${'a-'.repeat(1_000_000)}!` },
      }),
  ],
];

describe('hostile reviews never stall the event loop', () => {
  let certs: DevCerts;
  let running: Running;
  let port: number;
  let adminPort: number;

  beforeAll(async () => {
    certs = makeCerts();
    const file = join(certs.dir, 'namespaces.yaml');
    writeFileSync(file, namespacesYaml({ 'ai-gateway': { 'aigw-otel.io/endpoint': 'https://collector:4317' } }));
    [port, adminPort] = [await freePort(), await freePort()];
    running = runMain({
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      NAMESPACES_FILE: file,
      TLS_CERT_FILE: certs.certFile,
      TLS_KEY_FILE: certs.keyFile,
      LOG_LEVEL: 'warn',
    });
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://127.0.0.1:${adminPort}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    running.child.kill('SIGTERM');
    await running.exited;
  });

  const post = (body: string) =>
    timed(
      () =>
        new Promise<number>((resolve) => {
          const req = request(
            {
              host: '127.0.0.1',
              port,
              path: '/mutate-pods?timeout=10s',
              method: 'POST',
              ca: certs.ca,
              servername: 'localhost',
              headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
            },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve(res.statusCode === 200 && text.includes('"allowed":true') ? 200 : 0));
            },
          );
          req.on('error', () => resolve(-1));
          req.end(body);
        }),
    );

  it.each(hostile)(
    '%s: answered, and an honest review and /healthz meanwhile, promptly',
    async (_name, make) => {
      const body = JSON.stringify(review(make()));
      const hostileAnswer = post(body);
      await new Promise((r) => setTimeout(r, 50));
      const honest = post(JSON.stringify(review(corePod())));
      const probe = timed(() =>
        fetch(`http://127.0.0.1:${adminPort}/healthz`).then(
          (r) => r.status,
          () => -1,
        ),
      );
      const [h, o, p] = await Promise.all([hostileAnswer, honest, probe]);
      expect(o, 'honest review').toEqual({ value: 200, ms: expect.any(Number) as number });
      expect(o.ms, 'honest review ms').toBeLessThan(PROMPT_MS);
      expect(p.value, 'liveness probe').toBe(200);
      expect(p.ms, 'liveness probe ms').toBeLessThan(PROMPT_MS);
      expect(h.value, 'the hostile review is answered, allowed').toBe(200);
      expect(h.ms, 'hostile review ms').toBeLessThan(PROMPT_MS * 2);
    },
    60_000,
  );

  it('twenty 6 MB reviews at once: the excess refused with 429 (a failed call: Ignore admits), peak memory bounded', async () => {
    const big = JSON.stringify(review(corePod({ annotations: { 'example.com/blob': 'x'.repeat(6_000_000) } })));
    const answers = await Promise.all(Array.from({ length: 20 }, () => postStatus(big)));
    const honest = await post(JSON.stringify(review(corePod())));
    // The container's memory limit is 256 MiB; the peak resident size of the whole process stays well under it.
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${running.child.pid}/status`, 'utf8'))?.[1]);
    expect(peakKb / 1024, 'peak RSS in MiB').toBeLessThan(200);
    expect(honest.value).toBe(200);
    expect(answers.filter((s) => s === 429).length, `statuses ${answers.join(',')}`).toBeGreaterThan(0);
    // -1: the 429 went out and the connection closed while the client was still uploading; a failed call all the same.
    expect(
      answers.every((s) => s === 200 || s === 429 || s === -1),
      `statuses ${answers.join(',')}`,
    ).toBe(true);
  }, 60_000);

  const postStatus = (body: string) =>
    new Promise<number>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/mutate-pods?timeout=10s',
          method: 'POST',
          ca: certs.ca,
          servername: 'localhost',
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(-1));
      req.end(body);
    });
});

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await f();
  return { value, ms: Date.now() - started };
}
