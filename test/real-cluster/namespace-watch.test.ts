/**
 * Issue 19, scenario 11: the injector's namespace cache against a real watch. An annotation change reaches the
 * webhook within seconds (the first pod created after it has it). Then etcd's history is compacted and kube-apiserver
 * restarted: the injector's watch resumes from a resourceVersion the new API server no longer has (410 Gone), lists
 * afresh, and changes made right after the restart (a new endpoint in one namespace, every annotation removed from
 * another) are what the next pods get: no stale cache. Seen on the way, which the stand-in never does: the restarted
 * API server refuses the first retried list or watch with 403 for a moment (its authorizer not yet warm), and
 * answers the resumed watch with a 410 ERROR event (HTTP 200), not an HTTP 410; the informer retries through both.
 *
 * What the stand-in API server still covers and the real one cannot be made to produce on demand: a watch whose
 * response never starts, and a slow GET racing a watch event (test/cluster/informer.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInjector, type RunningInjector } from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { restarter, type Restarter } from '../helpers/real-apiserver-restart.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { START_MS, STOP_MS } from '../helpers/real-timeouts.js';
import { logLines, metricValue } from '../helpers/real-injector.js';
import { barePod, CORE_IMAGE, ENDPOINT, GATEWAY_ANNOTATIONS, gatewayNamespace } from './fixtures.js';

const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');
const NS = 'ai-gateway';
const OTHER_NS = 'ai-gateway-old';
// "Within seconds", from the API server storing the change to the injector hearing of it, each by its own clock:
// milliseconds on a quiet machine; a change the watch missed would wait for a relist (30 s of watch grace, or more).
const PROPAGATION_MS = 10_000;
// After a restart the informer retries with capped backoff (DEFAULT_TUNING: 30 s cap) and the API server's caches
// warm up: a minute is the bound, not the expectation.
const RECOVERY_MS = 60_000;
const LAST_EVENT = 'aigw_otel_injector_namespace_watch_last_event_timestamp_seconds';
// The restart test: the restart itself, then two namespaces' first fresh pod, each within RECOVERY_MS (the timeout).

const endpointOf = (pod: any) =>
  pod.spec.containers[0].env?.find((e: any) => e.name === 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')?.value;

describe.skipIf(!real)('the namespace cache against a real watch', { timeout: 3 * RECOVERY_MS }, () => {
  let cp: ControlPlane;
  let injector: RunningInjector | undefined;
  let faults: Restarter | undefined;
  let pods = 0;

  /** Creates pods in the namespace until one is stored as `wanted` says; how long that took. */
  async function firstPodThat(namespace: string, wanted: (pod: any) => boolean, ms: number): Promise<number> {
    const started = Date.now();
    let last: any;
    await eventually(
      async () => {
        const name = `probe-${++pods}`;
        const created = await cp.kubectl(['create', '-f', '-'], {
          input: JSON.stringify(barePod(name, namespace, [{ name: 'aigw', image: CORE_IMAGE }])),
          allowFailure: true, // the API server may still be warming up
        });
        if (created.code !== 0) return false;
        last = await cp.getJson(['-n', namespace, 'get', 'pod', name]);
        return wanted(last);
      },
      ms,
      `no pod in ${namespace} as wanted within ${ms} ms; last: ${JSON.stringify(last?.spec?.containers?.[0]?.env)}\n${injector?.logs()}`,
    );
    return Date.now() - started;
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    faults = restarter(cp);
    const install = await installInjector(cp);
    injector = await install.startInjector();
    await install.waitForWebhooks(injector);
    for (const ns of [NS, OTHER_NS]) await gatewayNamespace(cp, ns);
    await firstPodThat(NS, (p) => endpointOf(p) === ENDPOINT, RECOVERY_MS);
  }, START_MS);

  afterAll(async () => {
    await injector?.stop();
    await faults?.stop();
    await cp?.stop();
  }, STOP_MS);

  it('an annotation change reaches the webhook within seconds', async () => {
    const endpoint = 'https://otel-collector-v2.observability:4317';
    await cp.kubectl(['annotate', '--overwrite', 'namespace', NS, `aigw-otel.io/endpoint=${endpoint}`]);
    // When the API server stored it: its managedFields time, in whole seconds (so up to 1 s early: never flattering).
    const stored = await cp.getJson(['get', 'namespace', NS, '--show-managed-fields']);
    const changedAt = Math.max(
      ...(stored.metadata.managedFields as { manager: string; time: string }[])
        .filter((f) => f.manager === 'kubectl-annotate')
        .map((f) => Date.parse(f.time)),
    );
    // When the injector heard of it: its own clock of the watch's last event. (Not the time the test's kubectl loop
    // took to see a pod with it: each kubectl start costs a second or more on a loaded machine.)
    let heardAt = NaN;
    await eventually(
      async () => (heardAt = 1000 * ((await metricValue(injector!, LAST_EVENT)) ?? 0)) >= changedAt,
      RECOVERY_MS,
      'no watch event after the change',
    );
    expect(heardAt - changedAt).toBeLessThan(PROPAGATION_MS);
    // And the webhook acts on it: the first pod created after it has it (a ceiling for the wait, not a measure).
    await firstPodThat(NS, (p) => endpointOf(p) === endpoint, RECOVERY_MS);
  });

  it('an etcd compaction and a kube-apiserver restart: 410 Gone on resume, a fresh list, no stale cache', async () => {
    // Writes the namespace watch does not see move etcd's revision past the injector's resourceVersion (any few do).
    for (let i = 0; i < 5; i++) await cp.kubectl(['-n', 'default', 'create', 'configmap', `bump-${i}`]);
    await faults!.compactEtcd();
    await faults!.restartApiserver();
    const endpoint = 'https://otel-collector-v3.observability:4317';
    await cp.kubectl(['annotate', '--overwrite', 'namespace', NS, `aigw-otel.io/endpoint=${endpoint}`]);
    const removed = Object.keys(GATEWAY_ANNOTATIONS).map((k) => `${k}-`);
    await cp.kubectl(['annotate', 'namespace', OTHER_NS, ...removed]);

    await firstPodThat(NS, (p) => endpointOf(p) === endpoint, RECOVERY_MS);
    await firstPodThat(OTHER_NS, (p) => p.metadata.annotations?.['aigw-otel.io/injected'] === undefined, RECOVERY_MS);
    const expired = logLines(injector!, 'namespace watch expired (410 Gone)');
    const refused = logLines(injector!, 'namespace informer restarting').filter((l) => l.status === 410);
    expect(expired.length + refused.length, injector?.logs()).toBeGreaterThanOrEqual(1);
    expect(logLines(injector!, 'namespaces listed').length).toBeGreaterThanOrEqual(2);
  });
});
