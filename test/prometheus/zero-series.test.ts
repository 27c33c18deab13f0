/**
 * The counters two alerts take increase() of are exported at 0 from the start. Prometheus takes a series' first
 * sample as increase()'s baseline, so a counter first scraped at 1 counts nothing: a replica's first failed open
 * (or failed rollout) would never fire AigwOtelInjectorFailingOpen (or RolloutsFailing). promtool shows that case
 * (rules-tests/AigwOtelInjectorFailingOpen.yaml); scrape.test.ts shows the alert firing from a real scrape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';

describe('a fresh injector exports the series its alerts count, at 0', () => {
  let injector: TestInjector;
  let text: string;
  beforeAll(async () => {
    injector = await startTestInjector(namespacesYaml({}));
    text = await (await fetch(`${injector.adminUrl}/metrics`)).text();
  });
  afterAll(() => injector.stop());

  it.each([
    [
      'AigwOtelInjectorFailingOpen',
      'aigw_otel_injector_reviews_total{webhook="mutate-pods",outcome="failed_open",reason="internal-error"}',
    ],
    ['AigwOtelInjectorRolloutsFailing', 'aigw_otel_injector_rollouts_total{kind="Deployment",result="failed"}'],
    ['AigwOtelInjectorRolloutsFailing', 'aigw_otel_injector_rollouts_total{kind="StatefulSet",result="failed"}'],
    ['AigwOtelInjectorRolloutsFailing', 'aigw_otel_injector_rollouts_total{kind="DaemonSet",result="failed"}'],
  ])('%s: %s 0', (_alert, series) => {
    expect(text.split('\n')).toContain(`${series} 0`);
  });

  it('and no other outcome or result before it happens', () => {
    expect(text).not.toMatch(/^aigw_otel_injector_reviews_total\{[^}]*outcome="(?!failed_open)/m);
    expect(text).not.toMatch(/^aigw_otel_injector_rollouts_total\{[^}]*result="(?!failed)/m);
  });
});
