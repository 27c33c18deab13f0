/**
 * Authentication to a real Collector with what the webhook injected: mTLS with the client-certificate Secret, and
 * a bearer token from the headers Secret (OTEL_EXPORTER_OTLP_HEADERS, percent-encoded as the specification says).
 * Counter-tests: without the client-cert annotation, or with a headers Secret that does not exist (the reference
 * is optional), the pod still starts and the Collector refuses what it sends: nothing arrives, nothing worse.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corePod, processorPod } from '../fixtures/pods.js';
import { startCollector, type RealCollector } from '../helpers/collector.js';
import { eventually } from '../helpers/eventually.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { admitAndRun, killRunning, tlsAnnotations, type Sdk } from '../helpers/sdk-run.js';
import { clientCert, serverPki, type Pki } from '../helpers/telemetry-run.js';
import { ARRIVAL_MS, DEADLINE_MS, FLUSH_MS, REFUSED_DEADLINE_MS, SETTLE_MS, TEST_MS } from './timing.js';

const TOKEN = 's3cr3t-from-the-secret';
// Long enough for one export attempt of each signal before the program flushes and exits.
const HOLD_MS = 1000;

const root = mkdtempSync(join(tmpdir(), 'aigw-real-auth-'));

describe.skipIf(!haveRealParts('otelcol', 'goCore', 'python'))('authenticating to a real Collector', () => {
  let pki: Pki & { dir: string };
  let client: { cert: string; key: string };
  let mtls: RealCollector;
  let bearer: RealCollector;
  let webhook: TestInjector;

  beforeAll(async () => {
    pki = serverPki();
    client = clientCert(pki.dir, 'aigw-client');
    mtls = await startCollector({ cert: pki.cert, key: pki.key, clientCa: pki.ca });
    bearer = await startCollector({ cert: pki.cert, key: pki.key, bearerToken: TOKEN });
    const at = (c: RealCollector) => `https://localhost:${c.grpcPort}`;
    const ns = (name: string, c: RealCollector, extra: Record<string, string>) =>
      // A short export timeout keeps the refused runs short; 3 s is ample for a loopback Collector.
      tlsAnnotations(join(root, name), at(c), { 'aigw-otel.io/export-timeout': '3s', ...extra });
    webhook = await startTestInjector(
      namespacesYaml({
        'real-mtls': ns('real-mtls', mtls, { 'aigw-otel.io/client-cert-secret': 'collector-client' }),
        'real-mtls-no-client-cert': ns('real-mtls-no-client-cert', mtls, {}),
        'real-bearer': ns('real-bearer', bearer, { 'aigw-otel.io/headers-secret': 'collector-auth' }),
        'real-bearer-missing-secret': ns('real-bearer-missing-secret', bearer, {
          'aigw-otel.io/headers-secret': 'no-such-secret',
        }),
      }),
    );
  }, 60_000);
  afterAll(async () => {
    killRunning();
    await webhook?.stop();
    await mtls?.stop();
    await bearer?.stop();
  });

  const collectorOf = (namespace: string) => (namespace.startsWith('real-mtls') ? mtls : bearer);

  it.each([
    { name: 'mTLS: the core authenticates with the injected pair', sdk: 'go-core', namespace: 'real-mtls' },
    {
      name: 'mTLS: the processor authenticates with the injected pair',
      sdk: 'python-processor',
      namespace: 'real-mtls',
    },
    { name: 'bearer token from the Secret: the core gets through', sdk: 'go-core', namespace: 'real-bearer' },
    {
      name: 'bearer token from the Secret: the processor gets through',
      sdk: 'python-processor',
      namespace: 'real-bearer',
    },
  ] as const)(
    '$name',
    async ({ sdk, namespace }) => {
      const { placed, run } = await runIn(sdk, namespace, DEADLINE_MS);
      expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
      const mine = () =>
        collectorOf(namespace)
          .received()
          .filter((r) => r.resources[0]?.['k8s.pod.uid'] === placed.uid);
      // The core exports its counter too (after its span: it shuts the tracer provider down first).
      const wanted = sdk === 'go-core' ? ['core-request', 'core_requests'] : ['processor-request'];
      const arrived = () => mine().flatMap((r) => r.names);
      await eventually(
        () => wanted.every((n) => arrived().includes(n)),
        ARRIVAL_MS,
        `not all of ${wanted.join(', ')}:\n${run.stdout}${run.stderr}\n${collectorOf(namespace).log()}`,
      );
    },
    TEST_MS,
  );

  // Each refusal as the SDK reports it: the TLS alert of a Collector that requires a client certificate, or the
  // gRPC status of one that requires a bearer token. Only a refusal matches, not a wrong address or CA.
  it.each([
    {
      name: 'no client-cert annotation: the core is refused',
      sdk: 'go-core',
      namespace: 'real-mtls-no-client-cert',
      refusal: GO_NO_CLIENT_CERT,
    },
    {
      name: 'no client-cert annotation: the processor is refused',
      sdk: 'python-processor',
      namespace: 'real-mtls-no-client-cert',
      refusal: /CERTIFICATE_REQUIRED/,
    },
    {
      name: 'headers Secret missing: the core starts, is refused',
      sdk: 'go-core',
      namespace: 'real-bearer-missing-secret',
      refusal: /code = Unauthenticated/,
    },
    {
      name: 'headers Secret missing: the processor starts, is refused',
      sdk: 'python-processor',
      namespace: 'real-bearer-missing-secret',
      refusal: /StatusCode\.UNAUTHENTICATED/,
    },
  ] as const)(
    '$name',
    async ({ sdk, namespace, refusal }) => {
      const { placed, run } = await runIn(sdk, namespace, REFUSED_DEADLINE_MS);
      // It started and recorded: the kubelet emulation did not fail the container over the optional reference.
      expect(
        run.events.map((e) => e.event),
        run.stderr,
      ).toContain('recorded');
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const arrived = collectorOf(namespace).received();
      expect(arrived.filter((r) => r.resources[0]?.['k8s.pod.uid'] === placed.uid)).toEqual([]);
      // It did reach the Collector and was refused, in the SDK's own words (not some other failure).
      expect(`${run.stdout}${run.stderr}`).toMatch(refusal);
    },
    30_000,
  );

  async function runIn(sdk: Sdk, namespace: string, deadlineMs: number) {
    const pod = sdk === 'go-core' ? corePod() : processorPod();
    const objects = {
      configMaps: { 'collector-ca': { 'ca.crt': pki.ca } },
      secrets: {
        'collector-client': { 'tls.crt': client.cert, 'tls.key': client.key },
        // Percent-encoded, as OTEL_EXPORTER_OTLP_HEADERS values are (a space is %20).
        'collector-auth': { headers: `Authorization=Bearer%20${TOKEN}` },
      },
    };
    return admitAndRun(
      webhook,
      { sdk, pod, namespace, root: join(root, namespace), objects },
      { holdMs: HOLD_MS, deadlineMs, flushMs: FLUSH_MS },
    );
  }
});

// Go over TLS 1.3 finishes its side of the handshake before the Collector checks for a client certificate, so it
// learns of the refusal either from the alert ("certificate required") or from the closed connection. A CA that
// did not sign the Collector's certificate reads "x509: …" instead, and matches neither.
const GO_NO_CLIENT_CERT = /tls: certificate required|write: broken pipe|connection reset by peer/;
