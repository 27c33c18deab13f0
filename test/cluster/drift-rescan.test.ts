/**
 * A namespace changed while the drift monitor's scan runs is looked at as soon as that scan ends, not a period
 * later (issue 18, 1): the scan here paces three heals 1.5 s apart, and the period is far longer than the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import type { TestInjector } from '../helpers/injector.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';
import { a, metricsOf, missingPod, patchesOf, replica, template, unconfigured } from './drift-setup.js';

const configured = { [a('endpoint')]: 'https://collector:4317' };
const WORKLOADS = ['gw-1', 'gw-2', 'gw-3'];
// Three heals 1.5 s apart: a scan of about 3 s, long enough to change a namespace in the middle of it.
const PACING_MS = 1500;
// A missed change would wait out the 600 s period; the rescan lists one namespace of one pod. 10 s tells the two
// apart with a loaded machine's slack on both sides (the issue saw nothing 3 s after the scan on a quiet one).
const RESCAN_WITHIN_MS = 10_000;

let api: StandInApiServer;
let injector: TestInjector;
beforeAll(async () => {
  api = await new StandInApiServer().start();
  // There before the scan and listed first (as the informer lists by name): the scan passes it while it is bare.
  api.setNamespace('late');
  missingPod(api, 'late', 'aigw');
  api.setNamespace('paced', { ...configured, [a('auto-rollout')]: 'true' });
  for (const name of WORKLOADS) {
    api.setWorkload('Deployment', 'paced', name, template());
    missingPod(api, 'paced', name);
  }
  // A period no test waits for: only a change can start another scan.
  injector = await replica(api, 'injector-a', { periodMs: 600_000, healPacingMs: PACING_MS, requestTimeoutMs: 1000 });
});
afterAll(async () => {
  await injector.stop();
  await api.stop();
});

describe('a namespace change while a scan runs', () => {
  it('leads to another scan as soon as the current one ends', async () => {
    await eventually(() => patchesOf(api, 'paced', 'gw-1') === 1, 5000, 'the scan started healing');
    // Annotated in the middle of the scan; its pod was created before, so the webhook never configured it.
    api.setNamespace('late', configured);
    // A ceiling for the wait, not a measure: two more paced heals.
    await eventually(() => patchesOf(api, 'paced', 'gw-3') === 1, 3 * PACING_MS + 10_000, 'the scan ended');
    const endedAt = Date.now();
    await eventually(
      async () => unconfigured(await metricsOf(injector), 'late', 'missing') === 1,
      RESCAN_WITHIN_MS,
      'late counted after the scan',
    );
    expect(Date.now() - endedAt).toBeLessThan(RESCAN_WITHIN_MS);
    expect(
      WORKLOADS.map((w) => patchesOf(api, 'paced', w)),
      'the rescan heals nothing twice',
    ).toEqual([1, 1, 1]);
  });
});
