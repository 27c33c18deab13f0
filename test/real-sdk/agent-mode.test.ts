/**
 * Node-local Collectors (agent mode, `aigw-otel.io/endpoint-host: node`): the injected endpoint's host becomes
 * `$(OTEL_NODE_IP)`, defined before it from `status.hostIP`. The pod is placed on a node whose host IP is a loopback
 * address of its own (Linux routes all of 127/8 to lo) and the real Collector listens there only; the endpoint
 * annotation names a host that does not resolve, so only the node's IP can reach it. The Collector's certificate
 * names that IP, as the README says TLS needs here; a counter-test shows what happens when it does not.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corePod, processorPod } from '../fixtures/pods.js';
import { startCollector, type RealCollector } from '../helpers/collector.js';
import { eventually } from '../helpers/eventually.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { admitAndRun, ipServerCert as nodeCert, killRunning, tlsAnnotations, type Sdk } from '../helpers/sdk-run.js';
import { serverPki, type Pki } from '../helpers/telemetry-run.js';
import { ARRIVAL_MS, DEADLINE_MS, FLUSH_MS, REFUSED_DEADLINE_MS, SETTLE_MS } from './timing.js';

// The node the pods are placed on, and another whose Collector's certificate does not name it.
const NODE_IP = '127.0.0.2';
const UNNAMED_NODE_IP = '127.0.0.3';
const IPV6_NODE_IP = '::1';
// A host no resolver knows: an endpoint that still used it would reach nothing.
const HOST = 'otel-agent.invalid';
const HOLD_MS = 1000;

const root = mkdtempSync(join(tmpdir(), 'aigw-real-agent-'));

describe.skipIf(!haveRealParts('otelcol', 'goCore', 'python'))(
  'agent mode: each pod to the Collector on its node',
  () => {
    let pki: Pki & { dir: string };
    let agent: RealCollector;
    let unnamed: RealCollector;
    let ipv6: RealCollector;
    let webhook: TestInjector;

    beforeAll(async () => {
      pki = serverPki();
      agent = await startCollector({ ...nodeCert(pki.dir, NODE_IP), host: NODE_IP });
      // The project's usual certificate: localhost and 127.0.0.1, not this node's IP.
      unnamed = await startCollector({ cert: pki.cert, key: pki.key, host: UNNAMED_NODE_IP });
      // A node whose status.hostIP is IPv6: the Collector listens there, with a certificate naming it.
      ipv6 = await startCollector({ ...nodeCert(pki.dir, IPV6_NODE_IP), host: `[${IPV6_NODE_IP}]` });
      const onNode = (name: string, port: number, extra: Record<string, string> = {}) =>
        tlsAnnotations(join(root, name), `https://${HOST}:${port}`, { 'aigw-otel.io/endpoint-host': 'node', ...extra });
      webhook = await startTestInjector(
        namespacesYaml({
          'agent-grpc': onNode('agent-grpc', agent.grpcPort, { 'aigw-otel.io/metric-export-interval': '500ms' }),
          'agent-http': onNode('agent-http', agent.httpPort, { 'aigw-otel.io/protocol': 'http/protobuf' }),
          'agent-unnamed': onNode('agent-unnamed', unnamed.grpcPort, { 'aigw-otel.io/export-timeout': '3s' }),
          'agent-ipv6': onNode('agent-ipv6', ipv6.grpcPort, { 'aigw-otel.io/export-timeout': '3s' }),
        }),
      );
    }, 60_000);
    afterAll(async () => {
      killRunning();
      await webhook?.stop();
      await agent?.stop();
      await unnamed?.stop();
      await ipv6?.stop();
    });

    async function runIn(sdk: Sdk, namespace: string, hostIP: string, deadlineMs: number) {
      const pod = sdk === 'go-core' ? corePod() : processorPod();
      const objects = { configMaps: { 'collector-ca': { 'ca.crt': pki.ca } }, secrets: {} };
      const step = { sdk, pod, namespace, root: join(root, namespace), objects, hostIP };
      return admitAndRun(webhook, step, { holdMs: HOLD_MS, deadlineMs, flushMs: FLUSH_MS });
    }

    it.each([
      {
        name: 'the core, over gRPC',
        sdk: 'go-core',
        namespace: 'agent-grpc',
        path: '',
        wanted: ['core-request', 'core_requests'],
      },
      {
        name: 'the processor, over gRPC',
        sdk: 'python-processor',
        namespace: 'agent-grpc',
        path: '',
        wanted: ['processor-request'],
      },
      {
        name: 'the processor, over http/protobuf (the path stays)',
        sdk: 'python-processor',
        namespace: 'agent-http',
        path: '/v1/traces',
        wanted: ['processor-request'],
      },
    ] as const)(
      '$name: exports to its node’s Collector',
      async ({ sdk, namespace, path, wanted }) => {
        const { placed, run } = await runIn(sdk, namespace, NODE_IP, DEADLINE_MS);
        const port = namespace === 'agent-http' ? agent.httpPort : agent.grpcPort;
        // The kubelet expanded the reference: the node's IP, the annotation's port (and path).
        expect(run.env.OTEL_NODE_IP).toBe(NODE_IP);
        expect(run.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe(`https://${NODE_IP}:${port}${path}`);
        expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
        const mine = () => agent.received().filter((r) => r.resources[0]?.['k8s.pod.uid'] === placed.uid);
        await eventually(
          () => wanted.every((n) => mine().some((r) => r.names.includes(n))),
          ARRIVAL_MS,
          `not all of ${wanted.join(', ')}:\n${run.stdout}${run.stderr}\n${agent.log()}`,
        );
      },
      DEADLINE_MS + ARRIVAL_MS + 5000,
    );

    // Neither SDK can be given another TLS server name: each checks the certificate against the IP it dials. Go names
    // the mismatch; Python's gRPC reports only UNAVAILABLE, so the test also shows the Collector is there to be reached.
    it.each([
      { name: 'the core', sdk: 'go-core', refusal: /x509: certificate is valid for .*not 127\.0\.0\.3/ },
      {
        name: 'the processor',
        sdk: 'python-processor',
        refusal: /StatusCode\.UNAVAILABLE encountered while exporting traces to 127\.0\.0\.3/,
      },
    ] as const)(
      '$name: a Collector whose certificate does not name the node’s IP is not trusted, nothing arrives',
      async ({ sdk, refusal }) => {
        const { placed, run } = await runIn(sdk, 'agent-unnamed', UNNAMED_NODE_IP, REFUSED_DEADLINE_MS);
        expect(run.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe(`https://${UNNAMED_NODE_IP}:${unnamed.grpcPort}`);
        expect(
          run.events.map((e) => e.event),
          run.stderr,
        ).toContain('recorded');
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        expect(unnamed.received().filter((r) => r.resources[0]?.['k8s.pod.uid'] === placed.uid)).toEqual([]);
        expect(`${run.stdout}${run.stderr}`).toMatch(refusal);
        expect(await reachable(UNNAMED_NODE_IP, unnamed.grpcPort), 'the Collector listens there').toBe(true);
      },
      30_000,
    );

    // status.hostIP is IPv6 on an IPv6 or IPv6-first node; a URL needs it in brackets, which the kubelet cannot add.
    // Go refuses the URL and falls back to its default, localhost:4317; Python's gRPC cannot dial the address. What
    // the fallback meets is the machine's: usually nothing ("dial tcp 127.0.0.1:4317"), but while
    // test/real-node/agent-mode.test.ts runs in parallel its Collector DaemonSet's hostPort 4317 answers there too
    // (the CNI portmap plugin maps the host's local traffic as well), with a certificate that does not name localhost.
    it.each([
      {
        name: 'the core',
        sdk: 'go-core',
        failure:
          /^(?=[\s\S]*invalid port \\"::1:\d+\\" after host)(?=[\s\S]*(dial tcp 127\.0\.0\.1:4317|is valid for [^"]*, not localhost))/,
      },
      {
        name: 'the processor',
        sdk: 'python-processor',
        failure: /StatusCode\.UNAVAILABLE encountered while exporting traces to ::1:\d+/,
      },
    ] as const)(
      '$name: on a node whose host IP is IPv6 the endpoint is no valid address, nothing arrives',
      async ({ sdk, failure }) => {
        const { placed, run } = await runIn(sdk, 'agent-ipv6', IPV6_NODE_IP, REFUSED_DEADLINE_MS);
        expect(run.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe(`https://${IPV6_NODE_IP}:${ipv6.grpcPort}`);
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        expect(ipv6.received().filter((r) => r.resources[0]?.['k8s.pod.uid'] === placed.uid)).toEqual([]);
        expect(`${run.stdout}${run.stderr}`).toMatch(failure);
        expect(await reachable(IPV6_NODE_IP, ipv6.grpcPort), 'the Collector listens there').toBe(true);
      },
      30_000,
    );
  },
);

/** Whether a TCP connection to the address is accepted. */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
