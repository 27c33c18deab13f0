/**
 * The real Collector (test/real/otelcol, as the image aigw.test/otelcol) deployed on the real node the way a user
 * deploys one: a Deployment and a Service in `observability`, or a DaemonSet on hostPort 4317 (agent mode). Its
 * OTLP/gRPC receiver requires TLS with client certificates signed by the test CA and a bearer token; everything it
 * receives goes through the file exporter into a hostPath folder that `received()` reads on the machine.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseLine, type Received } from '../../helpers/collector.js';
import { clientCert, serverPki, signedCert } from '../../helpers/telemetry-run.js';
import type { NodeCluster } from './node-cluster.js';
import { IMAGE_REFS } from './parts.js';

export const COLLECTOR_NAMESPACE = 'observability';
/** The bearer token the receiver requires (README "headers-secret": `Authorization=Bearer%20<token>`). */
export const COLLECTOR_TOKEN = 'node-test-token';

export interface NodeCollector {
  /** The Service's ClusterIP (Deployment mode); the node's address in agent mode. */
  readonly host: string;
  /** The CA (PEM) that signed the server and client certificates. */
  readonly caPem: string;
  /** A client certificate and key for the workloads (a `kubernetes.io/tls` Secret's contents). */
  readonly client: { readonly cert: string; readonly key: string };
  received(): Received[];
}

// The file exporter flushes this often; the tests poll the file.
const FLUSH_INTERVAL = '100ms';

function config() {
  const tls = { cert_file: '/tls/tls.crt', key_file: '/tls/tls.key', client_ca_file: '/tls/ca.crt' };
  const pipeline = { receivers: ['otlp'], exporters: ['file'] };
  return {
    extensions: { bearertokenauth: { token: COLLECTOR_TOKEN } },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317', tls, auth: { authenticator: 'bearertokenauth' } } } },
    },
    exporters: { file: { path: '/out/received.jsonl', flush_interval: FLUSH_INTERVAL } },
    service: {
      extensions: ['bearertokenauth'],
      telemetry: { metrics: { level: 'none' }, logs: { level: 'info' } },
      pipelines: { traces: pipeline, metrics: pipeline },
    },
  };
}

/**
 * Deploys the Collector and waits until its pod is Ready (a TCP probe on 4317). `agent`: a DaemonSet whose port is
 * published on the node (hostPort 4317), reached at the node's address; otherwise a Deployment and a ClusterIP
 * Service `collector`, whose address the server certificate names (no cluster DNS here).
 */
export async function deployCollector(node: NodeCluster, agent = false): Promise<NodeCollector> {
  // In the node's run folder, which its teardown removes.
  const out = mkdtempSync(join(node.nodeDir, 'collector-out-'));
  // The Collector runs as 65532 and writes into this folder of the machine.
  chmodSync(out, 0o777);
  await node.kubectl(['create', 'namespace', COLLECTOR_NAMESPACE], { allowFailure: true });
  const labels = { app: agent ? 'collector-agent' : 'collector' };
  let host = node.nodeIp;
  if (!agent) {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'collector', namespace: COLLECTOR_NAMESPACE },
      spec: { selector: labels, ports: [{ name: 'otlp-grpc', port: 4317, targetPort: 4317 }] },
    };
    await node.kubectl(['apply', '-f', '-'], { input: JSON.stringify(service) });
    host = (await node.getJson(['-n', COLLECTOR_NAMESPACE, 'get', 'service', 'collector'])).spec.clusterIP as string;
  }
  const pki = serverPki('collector');
  const server = signedCert(pki.dir, 'server', 'collector', [
    `subjectAltName=IP:${host},DNS:collector.${COLLECTOR_NAMESPACE}.svc`,
    'extendedKeyUsage=serverAuth',
  ]);
  const client = clientCert(pki.dir, 'aigw');
  const name = labels.app;
  const podSpec = {
    securityContext: { runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532 },
    containers: [
      {
        name: 'otelcol',
        image: IMAGE_REFS.otelcol,
        imagePullPolicy: 'Never',
        args: ['--config', 'file:/conf/config.yaml'],
        ports: [{ containerPort: 4317, ...(agent ? { hostPort: 4317 } : {}) }],
        readinessProbe: { tcpSocket: { port: 4317 }, periodSeconds: 1 },
        volumeMounts: [
          { name: 'conf', mountPath: '/conf' },
          { name: 'tls', mountPath: '/tls' },
          { name: 'out', mountPath: '/out' },
        ],
      },
    ],
    volumes: [
      { name: 'conf', configMap: { name } },
      { name: 'tls', secret: { secretName: `${name}-tls` } },
      { name: 'out', hostPath: { path: out, type: 'Directory' } },
    ],
  };
  const objects = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: COLLECTOR_NAMESPACE },
      data: { 'config.yaml': stringify(config()) },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-tls`, namespace: COLLECTOR_NAMESPACE },
      stringData: { 'tls.crt': server.cert, 'tls.key': server.key, 'ca.crt': pki.ca },
    },
    {
      apiVersion: 'apps/v1',
      kind: agent ? 'DaemonSet' : 'Deployment',
      metadata: { name, namespace: COLLECTOR_NAMESPACE },
      spec: {
        ...(agent ? {} : { replicas: 1 }),
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: podSpec },
      },
    },
  ];
  await node.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  const file = join(out, 'received.jsonl');
  const received = () => {
    if (!existsSync(file)) return [];
    const lines = readFileSync(file, 'utf8').split('\n');
    // Only whole lines: the exporter may have flushed in the middle of the last one.
    lines.pop();
    return lines.filter((l) => l.trim() !== '').map(parseLine);
  };
  return { host, caPem: pki.ca, client, received };
}
