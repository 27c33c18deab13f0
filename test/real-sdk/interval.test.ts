/**
 * metric-export-interval, shown by behaviour: the Go core's periodic reader, configured by the injected
 * OTEL_METRIC_EXPORT_INTERVAL alone, exports at that interval. Counted at a real Collector over a window, from the
 * data points' own times (the SDK's collection times), so a loaded machine's delays in delivery do not matter.
 * A wrong unit flips it: seconds ("1") would be 1 ms to Go, hundreds of exports; the default is one a minute.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corePod } from '../fixtures/pods.js';
import { startCollector, type RealCollector } from '../helpers/collector.js';
import { eventually } from '../helpers/eventually.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { admitAndRun, killRunning, tlsAnnotations } from '../helpers/sdk-run.js';
import { serverPki, type Pki } from '../helpers/telemetry-run.js';
import { ARRIVAL_MS, SETTLE_MS } from './timing.js';

// The window: six intervals of 1 s, three of 2 s.
const HOLD_MS = 6500;
// The run is the window plus a second or two; room for a loaded two-core machine.
const DEADLINE_MS = 40_000;
// The periodic reader's ticker is steady; allow a quarter of an interval either way for a loaded machine.
const TOLERANCE = 0.25;

const root = mkdtempSync(join(tmpdir(), 'aigw-real-interval-'));

describe.skipIf(!haveRealParts('otelcol', 'goCore'))('the core exports metrics at the injected interval', () => {
  let pki: Pki;
  let collector: RealCollector;
  let webhook: TestInjector;

  beforeAll(async () => {
    pki = serverPki();
    collector = await startCollector({ cert: pki.cert, key: pki.key });
    const endpoint = `https://localhost:${collector.grpcPort}`;
    const ns = (name: string, interval: string) =>
      tlsAnnotations(join(root, name), endpoint, { 'aigw-otel.io/metric-export-interval': interval });
    webhook = await startTestInjector(
      namespacesYaml({
        'real-interval-1s': ns('real-interval-1s', '1s'),
        'real-interval-2000': ns('real-interval-2000', '2000'),
      }),
    );
  }, 60_000);
  afterAll(async () => {
    killRunning();
    await webhook?.stop();
    await collector?.stop();
  });

  it.each([
    { annotation: '1s', namespace: 'real-interval-1s', intervalMs: 1000 },
    { annotation: '2000', namespace: 'real-interval-2000', intervalMs: 2000 },
  ])(
    'metric-export-interval $annotation: an export every $intervalMs ms',
    async ({ namespace, intervalMs }) => {
      const objects = { configMaps: { 'collector-ca': { 'ca.crt': pki.ca } }, secrets: {} };
      const { placed, run } = await admitAndRun(
        webhook,
        { sdk: 'go-core', pod: corePod(), namespace, root: join(root, namespace), objects },
        { holdMs: HOLD_MS, deadlineMs: DEADLINE_MS },
      );
      const log = `${run.stdout}${run.stderr}`;
      expect(run.code, log).toBe(0);
      const exports = () =>
        collector.received().filter((r) => r.signal === 'metrics' && r.resources[0]?.['k8s.pod.uid'] === placed.uid);
      const periodic = Math.floor(HOLD_MS / intervalMs);
      // The program exited after its shutdown export was answered: the file has it after a flush or two.
      await eventually(() => exports().length >= periodic, ARRIVAL_MS, `too few exports:\n${log}`);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      // The last collection is the shutdown's, at the end of the window, not on a tick.
      const ticks = exports()
        .flatMap((r) => r.pointTimesMs)
        .sort((a, b) => a - b)
        .slice(0, -1);
      // On a loaded machine the last tick may fall just after the window's end; never more than one is missing.
      expect(ticks.length).toBeGreaterThanOrEqual(periodic - 1);
      expect(ticks.length).toBeLessThanOrEqual(periodic);
      const gaps = ticks.slice(1).map((t, i) => t - (ticks[i] ?? 0));
      for (const gap of gaps) {
        expect(gap).toBeGreaterThan(intervalMs * (1 - TOLERANCE));
        expect(gap).toBeLessThan(intervalMs * (1 + TOLERANCE));
      }
    },
    DEADLINE_MS + 10_000,
  );
});
