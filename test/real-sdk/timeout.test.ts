/**
 * export-timeout, shown by behaviour: against a receiver that answers after SLOW_MS, a short timeout makes each
 * SDK give up on the export at that timeout, and a longer one lets the export succeed. The injector writes
 * milliseconds for the Go core and seconds for the Python processors; a wrong unit flips a case: Go given "1"
 * would give up after 1 ms (not about 1 s), and after 10 ms with "10"; Python given "1000" would wait and succeed.
 *
 * Why not the real Collector: it answers as fast as it can and cannot be told to answer slowly, so these tests use
 * a slow gRPC receiver of ours (test/helpers/slow-receiver.ts) that records how each call ended.
 *
 * How long an export took is read from the SDK's own clock, where the timeout starts: the Go program's shutdown
 * (which runs the export) and the Python program's flush, to the SDK's own report of the failure. The receiver only
 * sees a call once the connection and TLS handshake are done: on a loaded machine that came 300 ms late, and a
 * receiver-side measure of a 1 s timeout read 700 ms.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corePod, processorPod } from '../fixtures/pods.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { admitAndRun, killRunning, tlsAnnotations, type RealRun, type Sdk } from '../helpers/sdk-run.js';
import { SlowReceiver } from '../helpers/slow-receiver.js';
import { serverPki, type Pki } from '../helpers/telemetry-run.js';

// The receiver answers after 4 s: well past the short timeout (1 s), well within the long one (10 s).
const SLOW_MS = 4000;
// On the SDK's clock the export starts after the reading starts, so the 1 s timeout cannot read less (800: a unit
// error gives 1 ms or 10 ms); a loaded machine only adds the time the SDK waits to be scheduled after its deadline.
const SHORT_LOWER_MS = 800;
const SHORT_UPPER_MS = 3000;
// Python retries a timed-out export with back-off for about a minute: a short-timeout run is killed after this.
const SHORT_DEADLINE_MS = 6000;
// A long-timeout run: the 4 s answer per signal and the program's start, with room for a loaded machine.
const LONG_DEADLINE_MS = 40_000;

const root = mkdtempSync(join(tmpdir(), 'aigw-real-timeout-'));

describe.skipIf(!haveRealParts('goCore', 'python'))('export-timeout against a slow receiver', () => {
  let pki: Pki;
  let receiver: SlowReceiver;
  let webhook: TestInjector;

  beforeAll(async () => {
    pki = serverPki();
    receiver = await new SlowReceiver(SLOW_MS).start(pki);
    const endpoint = `https://localhost:${receiver.port}`;
    const ns = (name: string, timeout: string) =>
      tlsAnnotations(join(root, name), endpoint, { 'aigw-otel.io/export-timeout': timeout });
    webhook = await startTestInjector(
      namespacesYaml({
        'real-timeout-1s': ns('real-timeout-1s', '1s'),
        'real-timeout-10s': ns('real-timeout-10s', '10s'),
        'real-timeout-500ms': ns('real-timeout-500ms', '500ms'),
      }),
    );
  }, 60_000);
  afterAll(async () => {
    killRunning();
    await webhook?.stop();
    receiver?.stop();
  });

  async function runIn(sdk: Sdk, namespace: string, deadlineMs: number) {
    const before = receiver.calls.length;
    const objects = { configMaps: { 'collector-ca': { 'ca.crt': pki.ca } }, secrets: {} };
    const pod = sdk === 'go-core' ? corePod() : processorPod();
    const { run } = await admitAndRun(
      webhook,
      { sdk, pod, namespace, root: join(root, namespace), objects },
      { holdMs: 0, deadlineMs },
    );
    const first = receiver.calls.slice(before).find((c) => c.signal === 'traces');
    return { run, first, log: `${run.stdout}${run.stderr}` };
  }

  /** How long the first traces export took until the SDK gave up, by the SDK's own clock; undefined if it did not. */
  function gaveUpAfterMs(sdk: Sdk, run: RealRun, failure: RegExp): number | undefined {
    const at = (event: string, matching?: RegExp) =>
      run.events.find((e) => e.event === event && (matching === undefined || matching.test(`${e.error}${e.message}`)))
        ?.ms;
    // Go: `ms` of traces-shutdown runs from the start of Shutdown, which exports the batch, to its return; the
    // export's failure comes through the SDK's error handler (otel-error) meanwhile.
    if (sdk === 'go-core') return at('otel-error', failure) === undefined ? undefined : at('traces-shutdown');
    // Python: both are ms since the program's start; the flush starts the export, the SDK logs its failure.
    const flushing = at('flushing');
    const failed = at('otel-log', failure);
    return flushing === undefined || failed === undefined ? undefined : failed - flushing;
  }

  it.each([
    { sdk: 'go-core', failure: /traces export: exporter export timeout: .*DeadlineExceeded/ },
    { sdk: 'python-processor', failure: /StatusCode\.DEADLINE_EXCEEDED/ },
  ] as const)(
    '$sdk: export-timeout 1s gives up on the export after about 1 s',
    async ({ sdk, failure }) => {
      const { run, first, log } = await runIn(sdk, 'real-timeout-1s', SHORT_DEADLINE_MS);
      // It gave up before the answer came, whatever the clocks say.
      expect(first?.end?.how, log).toBe('cancelled');
      const took = gaveUpAfterMs(sdk, run, failure);
      expect(took, log).toBeGreaterThanOrEqual(SHORT_LOWER_MS);
      expect(took, log).toBeLessThan(SHORT_UPPER_MS);
    },
    SHORT_DEADLINE_MS + 10_000,
  );

  it.each(['go-core', 'python-processor'] as const)(
    '%s: export-timeout 10s waits for the slow answer, and the export succeeds',
    async (sdk) => {
      const { first, run, log } = await runIn(sdk, 'real-timeout-10s', LONG_DEADLINE_MS);
      expect(run.code, log).toBe(0);
      expect(first?.end?.how, log).toBe('answered');
      if (sdk === 'go-core')
        expect(
          run.events.filter((e) => e.error !== undefined),
          log,
        ).toEqual([]);
      else expect(run.events.find((e) => e.event === 'flush')?.ok, log).toBe(true);
    },
    LONG_DEADLINE_MS + 5000,
  );

  // Found here (opentelemetry-sdk 1.33.1): the Python exporters read OTEL_EXPORTER_OTLP_TIMEOUT with int(), so the
  // "0.5" the injector used to write for 500ms raised ValueError when the processor created its exporter: it died
  // at start. The injector now writes whole seconds, rounded up, for processors; this fails on the old "0.5".
  it(
    'python-processor: export-timeout 500ms still starts and exports',
    async () => {
      const { run, first, log } = await runIn('python-processor', 'real-timeout-500ms', SHORT_DEADLINE_MS);
      expect(run.events.find((e) => e.event === 'exporter')?.error, log).toBeUndefined();
      expect(first, log).toBeDefined();
    },
    SHORT_DEADLINE_MS + 10_000,
  );
});
