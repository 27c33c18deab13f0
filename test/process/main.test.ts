import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { corePod, review } from '../fixtures/pods.js';
import { makeCerts, namespacesYaml } from '../helpers/injector.js';
import { freePort, runMain, waitFor } from '../helpers/process.js';

function standaloneEnv(port: number) {
  const certs = makeCerts();
  const file = join(certs.dir, 'namespaces.yaml');
  writeFileSync(file, namespacesYaml({ 'ai-gateway': { 'aigw-otel.io/endpoint': 'https://collector:4317' } }));
  return {
    certs,
    env: {
      PORT: String(port),
      ADMIN_PORT: '0',
      NAMESPACES_FILE: file,
      TLS_CERT_FILE: certs.certFile,
      TLS_KEY_FILE: certs.keyFile,
    },
  };
}

describe('the process', () => {
  it('exits non-zero on bad configuration, naming every bad variable', async () => {
    const run = runMain({ PORT: 'https', LOG_LEVEL: 'loud' });
    const { code } = await run.exited;
    expect(code).toBe(2);
    expect(run.stderr()).toMatch(/PORT="https"/);
    expect(run.stderr()).toMatch(/LOG_LEVEL="loud"/);
  });

  it('exits non-zero with a clear message when the certificate is missing', async () => {
    const { env } = standaloneEnv(0);
    const run = runMain({ ...env, TLS_CERT_FILE: '/nonexistent/tls.crt' });
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toMatch(/TLS_CERT_FILE\/TLS_KEY_FILE: cannot load the serving certificate/);
  });

  it('on SIGTERM finishes the review in flight, refuses new connections and exits 0 within 10 s', async () => {
    const port = await freePort();
    const { certs, env } = standaloneEnv(port);
    const run = runMain(env);
    await waitFor(run, '"msg":"serving"');

    const body = JSON.stringify(review(corePod(), { uid: 'in-flight' }));
    const socket = connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost' });
    await new Promise((r) => socket.once('secureConnect', r));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise((r) => socket.once('close', r));
    const half = Math.floor(body.length / 2);
    socket.write(
      `POST /mutate-pods?timeout=10s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
    );
    await new Promise((r) => setTimeout(r, 100));
    const signalledAt = Date.now();
    run.child.kill('SIGTERM');
    await waitFor(run, '"msg":"shutting down"');

    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost' });
      s.once('secureConnect', () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(true));
    });
    expect(refused, 'new connections are refused while draining').toBe(true);

    socket.write(body.slice(half));
    await closed;
    expect(answer).toMatch(/^HTTP\/1.1 200 OK/);
    expect(answer.toLowerCase()).toContain('connection: close');
    const json = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect(json.response).toMatchObject({ uid: 'in-flight', allowed: true, patchType: 'JSONPatch' });

    const { code, atMs } = await run.exited;
    expect(code).toBe(0);
    expect(atMs - signalledAt).toBeLessThan(10_000);
  });
});
