/**
 * `npm run demo` once the real parts are built (test/real/build.sh): the example core and processor pods admitted
 * by the webhook, materialised by the kubelet stand-ins, and run as the SDKs AI Gateway runs — the Go program set up
 * as the core is, the Python processor on opentelemetry-sdk 1.33 — exporting to a real OpenTelemetry Collector over
 * TLS. Prints what the Collector received.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corePod, processorPod } from '../fixtures/pods.js';
import { startCollector, type Received } from '../helpers/collector.js';
import { namespacesYaml, startTestInjector } from '../helpers/injector.js';
import { realVersions } from '../helpers/real-parts.js';
import { admitAndRun, killRunning, tlsAnnotations, type Sdk } from '../helpers/sdk-run.js';
import { serverPki } from '../helpers/telemetry-run.js';

// Long enough for the core's periodic reader (1 s interval here) to export before the program flushes and exits.
const HOLD_MS = 1500;
// A run is over in a few seconds; a loaded two-core machine gets ample room before the program is killed.
const DEADLINE_MS = 30_000;
// After the programs exit, what they sent is in the Collector's file within its flush interval (100 ms).
const ARRIVAL_MS = 10_000;

const SDKS: readonly { sdk: Sdk; label: string }[] = [
  { sdk: 'go-core', label: `Go core (go.opentelemetry.io/otel ${realVersions.OTEL_GO_VERSION})` },
  { sdk: 'python-processor', label: `Python processor (opentelemetry-sdk ${realVersions.OTEL_PY_VERSION})` },
];

export async function realDemo(namespace: string, say: (line?: string) => void): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'aigw-demo-real-'));
  const pki = serverPki();
  const collector = await startCollector({ cert: pki.cert, key: pki.key });
  const annotations = tlsAnnotations(root, `https://localhost:${collector.grpcPort}`, {
    'aigw-otel.io/metric-export-interval': '1s',
    'aigw-otel.io/resource-attributes': 'deployment.environment=demo',
  });
  say(`OpenTelemetry Collector ${realVersions.OTELCOL_VERSION} (built by test/real/build.sh): OTLP/gRPC over TLS`);
  say(`  on localhost:${collector.grpcPort}`);
  say(`namespace ${namespace}:`);
  for (const [k, v] of Object.entries(annotations)) say(`  ${k}: ${v.replace(root, '<scratch>')}`);
  const webhook = await startTestInjector(namespacesYaml({ [namespace]: annotations }));
  try {
    const uids = new Map<string, string>();
    for (const { sdk, label } of SDKS) {
      const pod = sdk === 'go-core' ? corePod() : processorPod();
      const objects = { configMaps: { 'collector-ca': { 'ca.crt': pki.ca } }, secrets: {} };
      const { placed, run } = await admitAndRun(
        webhook,
        { sdk, pod, namespace, root, objects },
        { holdMs: HOLD_MS, deadlineMs: DEADLINE_MS },
      );
      if (run.code !== 0) throw new Error(`${label} failed: ${run.stderr || run.stdout}`);
      uids.set(placed.uid, label);
      say(`webhook admitted pod ${placed.name}; kubelet stand-in started the ${label}`);
    }
    const arrived = await waitForAll(() => collector.received(), [...uids.keys()]);
    say();
    say('arrived at the Collector:');
    for (const [uid, label] of uids)
      printFrom(
        label,
        arrived.filter((r) => ofPod(r, uid)),
        say,
      );
  } finally {
    killRunning();
    await webhook.stop();
    await collector.stop();
  }
}

const ofPod = (r: Received, uid: string) => r.resources.some((a) => a['k8s.pod.uid'] === uid);

async function waitForAll(received: () => Received[], uids: readonly string[]): Promise<Received[]> {
  const deadline = Date.now() + ARRIVAL_MS;
  for (;;) {
    const all = received();
    if (uids.every((uid) => all.some((r) => r.signal === 'traces' && ofPod(r, uid)))) return all;
    if (Date.now() > deadline) throw new Error("not every program's spans arrived at the Collector");
    await new Promise((r) => setTimeout(r, 100));
  }
}

function printFrom(label: string, mine: Received[], say: (line?: string) => void): void {
  say(`  from the ${label}:`);
  for (const signal of ['traces', 'metrics'] as const) {
    const names = [...new Set(mine.filter((r) => r.signal === signal).flatMap((r) => r.names))];
    say(`    ${signal.padEnd(7)} ${names.join(', ') || '(none: processors export no metrics)'}`);
  }
  const resource = mine[0]?.resources[0] ?? {};
  for (const [k, v] of Object.entries(resource)
    .filter(([k]) => k.startsWith('k8s.') || k.startsWith('deployment.'))
    .sort(([a], [b]) => a.localeCompare(b))) {
    say(`    ${k} = ${v}`);
  }
}
