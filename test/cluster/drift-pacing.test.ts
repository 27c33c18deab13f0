/**
 * Heals are paced so a namespace's gateways do not all restart at once; a heal that rolled nothing (its patch
 * failed, or it was skipped because auto-rollout is rolling the namespace or the template already asks for the
 * current configuration) restarts nothing, so it must not hold up the scan. Found on the real control plane: a scan
 * that overlapped auto-rollout waited the pacing before each heal it then skipped (60 s for one namespace).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import type { TestInjector } from '../helpers/injector.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';
import { a, metricsOf, missingPod, replica, template, unconfigured } from './drift-setup.js';

const configured = { [a('endpoint')]: 'https://collector:4317' };
const WORKLOADS = ['gw-1', 'gw-2', 'gw-3'];
// Far longer than the test waits: a scan that paces after a heal that rolled nothing never reaches the next namespace.
const PACING_MS = 60_000;
// The next namespace is listed within a second or two of the first on a loaded machine; this is ample.
const NEXT_NAMESPACE_MS = 10_000;

let api: StandInApiServer;
let injector: TestInjector;
beforeAll(async () => {
  api = await new StandInApiServer().start();
  // Scanned first (namespaces are listed by name): three heals whose patches the API server refuses.
  api.setNamespace('a-refused', { ...configured, [a('auto-rollout')]: 'true' });
  for (const name of WORKLOADS) {
    api.setWorkload('Deployment', 'a-refused', name, template());
    missingPod(api, 'a-refused', name);
  }
  api.failing.add('workload-patches');
  api.setNamespace('b-next', configured);
  missingPod(api, 'b-next', 'aigw');
  injector = await replica(api, 'injector-a', { periodMs: 600_000, healPacingMs: PACING_MS, requestTimeoutMs: 1000 });
});
afterAll(async () => {
  await injector.stop();
  await api.stop();
});

describe('heal pacing', () => {
  it('a heal that rolled nothing does not make the scan wait before the next one', async () => {
    await eventually(
      async () => unconfigured(await metricsOf(injector), 'b-next', 'missing') === 1,
      NEXT_NAMESPACE_MS,
      'the next namespace reached without waiting out the pacing',
    );
    const metrics = await metricsOf(injector);
    // All three heals were tried (and failed), one after the other, without a pause between them.
    expect(metrics).toMatch(/aigw_otel_injector_rollouts_total\{kind="Deployment",result="failed"\} 3$/m);
  });
});
