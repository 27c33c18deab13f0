/**
 * `npm run demo`: watch telemetry arrive, on this machine, in a few seconds. With the real parts built
 * (test/real/build.sh) it runs AI Gateway's own SDKs against a real Collector (demo-real.ts). Without them: starts
 * the webhook in standalone mode, the collector stand-in, and the example core pod (examples/review-core-pod.json)
 * admitted by the webhook, materialised by the kubelet stand-ins and run as the OpenTelemetry SDK for Node; prints
 * what arrived; exits 0.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsonPatch from 'fast-json-patch';
import { readConfig } from '../../src/config/config.js';
import type { Pod } from '../../src/core/pod.js';
import { startInjector } from '../../src/injector.js';
import { createLogger } from '../../src/observability/logger.js';
import { CollectorStandIn } from '../helpers/collector-stand-in.js';
import { realPaths } from '../helpers/real-parts.js';
import { place, runContainer, serverPki } from '../helpers/telemetry-run.js';
import { realDemo } from './demo-real.js';

// Long enough for two periodic metric exports at the 1 s interval the demo namespace sets, and the final one.
const HOLD_MS = 2500;
const NAMESPACE = 'ai-gateway';

const say = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  if ([realPaths.otelcol, realPaths.goCore, realPaths.python].every((p) => existsSync(p))) {
    await realDemo(NAMESPACE, say);
    return;
  }
  say('(the real Collector and SDK programs are not built: `bash test/real/build.sh`; using the stand-ins)');
  const scratch = mkdtempSync(join(tmpdir(), 'aigw-demo-'));
  const collectorPki = serverPki('otel-collector');
  const collector = await new CollectorStandIn().start({ cert: collectorPki.cert, key: collectorPki.key });
  const annotations = {
    'aigw-otel.io/endpoint': `https://localhost:${collector.port}`,
    'aigw-otel.io/ca-configmap': 'collector-ca',
    // Under a scratch directory, so the demo writes nothing outside it.
    'aigw-otel.io/ca-mount-path': `${scratch}/etc/collector`,
    'aigw-otel.io/metric-export-interval': '1s',
    'aigw-otel.io/resource-attributes': 'deployment.environment=demo',
  };
  say(`collector stand-in: OTLP/gRPC over TLS on localhost:${collector.port}`);
  say(`namespace ${NAMESPACE}:`);
  for (const [k, v] of Object.entries(annotations)) say(`  ${k}: ${v}`);

  const webhookPki = join(scratch, 'webhook');
  execFileSync('bash', ['certs/generate.sh', '--out', webhookPki, '--quiet']);
  const namespacesFile = join(scratch, 'namespaces.yaml');
  writeFileSync(
    namespacesFile,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [{ kind: 'Namespace', metadata: { name: NAMESPACE, annotations } }],
    }),
  );
  const config = readConfig({
    PORT: '0',
    ADMIN_PORT: '0',
    NAMESPACES_FILE: namespacesFile,
    TLS_CERT_FILE: join(webhookPki, 'tls.crt'),
    TLS_KEY_FILE: join(webhookPki, 'tls.key'),
  });
  if (!config.ok) throw new Error(config.errors.join('; '));
  const injector = await startInjector(config.config, createLogger('silent'));
  say(`webhook: standalone on https://localhost:${injector.webhookPort}/mutate-pods`);

  try {
    const body = readFileSync('examples/review-core-pod.json', 'utf8');
    const review = JSON.parse(body) as { request: { object: Pod } };
    const answer = await post(injector.webhookPort, readFileSync(join(webhookPki, 'ca.crt')), body);
    const ops = JSON.parse(Buffer.from(answer.response.patch ?? '', 'base64').toString()) as jsonPatch.Operation[];
    const patched = jsonPatch.applyPatch(review.request.object, ops, true, false).newDocument;
    say(`webhook: patched the example core pod with ${ops.length} operations`);

    const placed = place(patched, NAMESPACE, {
      configMaps: { 'collector-ca': { 'ca.crt': collectorPki.ca } },
      secrets: {},
    });
    say(`kubelet stand-in: pod ${placed.name} on ${placed.nodeName}; SDK running for ${HOLD_MS} ms ...`);
    const run = await runContainer(patched, 'aigw', placed, { root: scratch, role: 'core', holdMs: HOLD_MS });
    if (run.code !== 0) throw new Error(`the SDK process failed: ${run.stderr}`);

    say();
    say('arrived at the collector:');
    for (const e of collector.exports) say(`  ${e.signal.padEnd(7)} ${e.names.join(', ') || '(no data points yet)'}`);
    const resource = collector.exports[0]?.resources[0] ?? {};
    say('resource attributes:');
    for (const [k, v] of Object.entries(resource).filter(
      ([k]) => k.startsWith('k8s.') || k.startsWith('deployment.'),
    )) {
      say(`  ${k} = ${v}`);
    }
    if (collector.exports.length === 0) throw new Error('nothing arrived');
  } finally {
    await injector.stop();
    await collector.stop();
  }
}

interface Answer {
  response: { patch?: string };
}

function post(port: number, ca: Buffer, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: 'localhost',
        port,
        path: '/mutate-pods?timeout=10s',
        method: 'POST',
        ca,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(JSON.parse(text) as Answer));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
