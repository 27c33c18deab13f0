/**
 * Issue 19, scenario 4: fail open for real. With the webhook process stopped, and with a server on its port that
 * takes the request and never answers, the real API server still creates the pod (without configuration) within the
 * webhook's `timeoutSeconds` (5 s, as shipped), logs why it failed open, and counts it in its own metric.
 */
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInjector, type ClusterInstall, type RunningInjector } from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { barePod, CORE_IMAGE, gatewayNamespace } from './fixtures.js';

const NS = 'ai-gateway';
const TIMEOUT_MS = 5_000; // timeoutSeconds of both webhooks in manifests/base
// Past the timeout: the API server's own handling of the request around the webhook call, on a loaded machine;
// short of what must not happen, a second timeout (10 s).
const MARGIN_MS = 4_000;

/**
 * How long kubectl's request took by its own clock (`-v=6` logs each response with its milliseconds): from when the
 * request went out, not from kubectl's start, which costs a second or more on a loaded machine.
 */
function requestMs(stderr: string, verb: string): number {
  const line = stderr.split('\n').find((l) => l.includes(`"Response" verb="${verb}"`));
  return Number(/milliseconds=(\d+)/.exec(line ?? '')?.[1] ?? NaN);
}
const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');

/** A TLS server with the webhook's own certificate that reads each request and never answers it. */
async function stallingServer(install: ClusterInstall): Promise<{ server: Server; requests: () => number }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createServer(
    { cert: readFileSync(install.tls.certFile), key: readFileSync(install.tls.keyFile) },
    (req) => {
      requests++;
      req.resume();
    },
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((resolve) => server.listen(install.webhookPort, '127.0.0.1', resolve));
  return { server, requests: () => requests };
}

/** The API server's own count of webhook calls it failed open on (apiserver_admission_webhook_fail_open_count). */
async function failOpenCount(cp: ControlPlane, webhook: string): Promise<number> {
  const metrics = (await cp.kubectl(['get', '--raw', '/metrics'])).stdout;
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith('apiserver_admission_webhook_fail_open_count{') && l.includes(`name="${webhook}"`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe.skipIf(!real)('the real API server fails open when the webhook cannot answer', () => {
  let cp: ControlPlane;
  let install: ClusterInstall;
  let injector: RunningInjector | undefined;
  let staller: Awaited<ReturnType<typeof stallingServer>> | undefined;

  beforeAll(async () => {
    cp = await startControlPlane();
    console.info(`control plane ready in ${cp.startupMs} ms`);
    install = await installInjector(cp);
    injector = await install.startInjector();
    await install.waitForWebhooks(injector);
    await gatewayNamespace(cp, NS);
    // The working webhook first: the same pod is configured, so the cases below show a difference.
    await cp.kubectl(['create', '-f', '-'], {
      input: JSON.stringify(barePod('configured', NS, [{ name: 'aigw', image: CORE_IMAGE }])),
    });
    const configured = await cp.getJson(['-n', NS, 'get', 'pod', 'configured']);
    expect(configured.metadata.annotations?.['aigw-otel.io/injected']).toBe('core');
  }, 240_000);

  afterAll(async () => {
    await injector?.stop();
    if (staller) await new Promise((r) => staller?.server.close(r));
    await cp?.stop();
  }, 60_000);

  const CASES = [
    {
      case: 'the webhook process is stopped',
      pod: 'while-stopped',
      arrange: async () => {
        await injector?.stop();
        injector = undefined;
      },
      apiserverError: 'dial tcp 127.0.0.1:{port}: connect: connection refused',
      minMs: 0,
    },
    {
      case: 'the webhook stalls past timeoutSeconds',
      pod: 'while-stalled',
      arrange: async () => {
        staller = await stallingServer(install);
      },
      apiserverError: 'context deadline exceeded',
      minMs: TIMEOUT_MS - 500,
    },
  ];

  it.each(CASES)('$case: the pod is created unconfigured within the timeout', async (c) => {
    await c.arrange();
    const failedOpen = await failOpenCount(cp, 'pods.aigw-otel.io');
    const created = await cp.kubectl(['create', '-f', '-', '-v=6'], {
      input: JSON.stringify(barePod(c.pod, NS, [{ name: 'aigw', image: CORE_IMAGE }])),
    });
    const tookMs = requestMs(created.stderr, 'POST');
    expect(created.stdout).toContain(`pod/${c.pod} created`);
    expect(tookMs, created.stderr).toBeGreaterThanOrEqual(c.minMs);
    expect(tookMs, created.stderr).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    const stored = await cp.getJson(['-n', NS, 'get', 'pod', c.pod]);
    expect(stored.metadata.annotations?.['aigw-otel.io/injected']).toBeUndefined();
    expect(stored.spec.containers[0].env).toBeUndefined();
    expect(stored.spec.volumes.map((v: any) => v.name)).not.toContain('collector-ca-volume');
    // The API server's own words, with the `?timeout=5s` it appends to the url (timeoutSeconds, as shipped).
    const port = install.webhookPort;
    const expected =
      `Failed calling webhook, failing open pods.aigw-otel.io: failed calling webhook "pods.aigw-otel.io": ` +
      `failed to call webhook: Post "https://127.0.0.1:${port}/mutate-pods?timeout=5s": ` +
      c.apiserverError.replace('{port}', String(port));
    await eventually(
      () => cp.logTail('kube-apiserver', 400).includes(expected),
      10_000,
      `no "${expected}" in the API server log:\n${cp.logTail('kube-apiserver', 20)}`,
    );
    expect(await failOpenCount(cp, 'pods.aigw-otel.io')).toBe(failedOpen + 1);
  });

  it('the stalled server did receive the call: the timeout, not a refusal, made the API server fail open', () => {
    expect(staller?.requests()).toBeGreaterThanOrEqual(1);
  });

  it('with the webhook stalled, a bad namespace annotation is let through (Ignore), within the timeout', async () => {
    await cp.kubectl(['create', 'namespace', 'typo-while-down']);
    const result = await cp.kubectl([
      'annotate',
      'namespace',
      'typo-while-down',
      'aigw-otel.io/metric-export-interval=soon',
      '-v=6',
    ]);
    expect(requestMs(result.stderr, 'PATCH'), result.stderr).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(result.stderr).not.toContain('denied');
    const ns = await cp.getJson(['get', 'namespace', 'typo-while-down']);
    expect(ns.metadata.annotations['aigw-otel.io/metric-export-interval']).toBe('soon');
  });
});
