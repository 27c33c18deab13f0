/**
 * The monitoring component: it renders with each overlay and passes the schema checks, every PromQL expression in
 * its alerts and dashboard parses, and every metric they use is one the running server exports, so renaming a
 * metric breaks this test rather than the dashboard.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { find, manifestsWithCerts, render, type K8sObject } from './render.js';
import { validateSchema } from './schema.js';

const hasKubectl = haveRealParts('kubectl');
const rendered = hasKubectl
  ? (() => {
      const { root } = manifestsWithCerts();
      const withMonitoring = (overlay: string) => {
        const dir = join(root, `manifests/overlays/${overlay}-monitoring`);
        mkdirSync(dir);
        // The one line the README says to add, in an overlay of one's own.
        writeFileSync(
          join(dir, 'kustomization.yaml'),
          `resources:\n  - ../${overlay}\ncomponents:\n  - ../../components/monitoring\n`,
        );
        return render(dir);
      };
      return { 'cert-manager': withMonitoring('cert-manager'), 'static-certs': withMonitoring('static-certs') };
    })()
  : undefined;

/** Every PromQL expression of the rules and the dashboard, with where it came from. */
function expressions(objects: K8sObject[]): [string, string][] {
  const rule = find(objects, 'PrometheusRule');
  const fromRules = (rule.spec.groups as { rules: { alert: string; expr: string }[] }[]).flatMap((g) =>
    g.rules.map((r): [string, string] => [`alert ${r.alert}`, String(r.expr)]),
  );
  const dashboard = JSON.parse(
    Object.values(find(objects, 'ConfigMap', 'aigw-otel-injector-dashboard').data)[0] as string,
  );
  const fromPanels = (dashboard.panels as { title: string; targets: { expr: string }[] }[]).flatMap((p) =>
    p.targets.map((t): [string, string] => [`panel ${p.title}`, t.expr]),
  );
  return [...fromRules, ...fromPanels];
}

/** Parse errors in a PromQL expression (the Prometheus project's own grammar), and the metric names it uses. */
function parsePromQL(expr: string): { errors: number; metrics: string[] } {
  const cursor = parser.parse(expr).cursor();
  let errors = 0;
  const metrics: string[] = [];
  do {
    if (cursor.type.isError) errors++;
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') {
      metrics.push(expr.slice(cursor.from, cursor.to));
    }
  } while (cursor.next());
  return { errors, metrics };
}

describe.skipIf(!hasKubectl)('the monitoring component', () => {
  let server: TestInjector;
  let exported: Set<string>;
  beforeAll(async () => {
    server = await startTestInjector(namespacesYaml({}));
    const text = (await request(server.adminUrl).get('/metrics').expect(200)).text;
    exported = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name ?? ''],
      ),
    );
  });
  afterAll(() => server.stop());

  describe.each(Object.entries(rendered ?? {}))('added to the %s overlay', (_overlay, objects) => {
    it.each(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]))('%s is valid against its schema', (_n, o) => {
      expect(() => validateSchema(o)).not.toThrow();
    });

    it('the ServiceMonitor scrapes the Service port that reaches the admin server', () => {
      const monitor = find(objects, 'ServiceMonitor');
      const service = find(objects, 'Service', 'aigw-otel-injector');
      expect(monitor.metadata.namespace).toBe(service.metadata.namespace);
      expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
      const port = service.spec.ports.find((p: { name: string }) => p.name === monitor.spec.endpoints[0].port);
      expect(port?.targetPort).toBe('admin');
      expect(monitor.spec.endpoints[0].path).toBe('/metrics');
    });

    it('the dashboard is a ConfigMap the Grafana sidecar picks up', () => {
      const cm = find(objects, 'ConfigMap', 'aigw-otel-injector-dashboard');
      expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
      const dashboard = JSON.parse(cm.data['aigw-otel-injector.json']);
      expect(dashboard.panels.length).toBeGreaterThanOrEqual(7);
    });

    it('every alert has a summary and a description that points at its runbook', () => {
      const rules = find(objects, 'PrometheusRule').spec.groups.flatMap((g: { rules: unknown[] }) => g.rules);
      expect(rules.length).toBeGreaterThanOrEqual(6);
      for (const r of rules) {
        expect(r.annotations.summary, r.alert).toBeTruthy();
        expect(r.annotations.description, r.alert).toContain(`Runbook: README, ${r.alert}`);
      }
    });

    it.each(expressions(objects))('%s: parses, and uses only metrics the server exports', (_where, expr) => {
      const { errors, metrics } = parsePromQL(expr);
      expect(errors, expr).toBe(0);
      expect(metrics.length).toBeGreaterThan(0);
      for (const m of metrics) expect(exported.has(m), `${m} in ${expr}`).toBe(true);
    });
  });

  it.each([
    ['a typo in a function', 'rat(aigw_otel_injector_reviews_total[5m])', 'metric'],
    ['unbalanced parentheses', 'sum(rate(aigw_otel_injector_reviews_total[5m])', 'parse'],
    ['a renamed metric', 'aigw_otel_injector_review_total', 'metric'],
  ])('would fail on %s', (_name, expr, fails) => {
    const { errors, metrics } = parsePromQL(expr);
    if (fails === 'parse') expect(errors).toBeGreaterThan(0);
    else expect(metrics.some((m) => !exported.has(m))).toBe(true);
  });
});

/** The aggregation each use of a metric sits in directly ('none' when it is used bare), from the PromQL tree. */
function aggregationsOf(expr: string, metric: string): string[] {
  const cursor = parser.parse(expr).cursor();
  const found: string[] = [];
  do {
    if (cursor.name !== 'Identifier' || expr.slice(cursor.from, cursor.to) !== metric) continue;
    let node = cursor.node.parent;
    while (node !== null && node.name !== 'AggregateExpr') node = node.parent;
    const op = node?.getChild('AggregateOp');
    found.push(op ? expr.slice(op.from, op.to) : 'none');
  } while (cursor.next());
  return found;
}

// Read from the component's own files, so these hold without a kubectl to render the overlays.
describe('the monitoring component across a Lease takeover (issue 18, 3)', () => {
  const dir = 'manifests/components/monitoring';
  const dashboard = JSON.parse(readFileSync(join(dir, 'dashboard.json'), 'utf8'));
  const rules = parse(readFileSync(join(dir, 'prometheusrule.yaml'), 'utf8')).spec.groups.flatMap(
    (g: { rules: unknown[] }) => g.rules,
  );
  const uses: [string, string][] = [
    ...dashboard.panels.flatMap((p: { title: string; targets: { expr: string }[] }) =>
      p.targets.map((t): [string, string] => [`panel ${p.title}`, t.expr]),
    ),
    ...rules.map((r: { alert: string; expr: string }): [string, string] => [`alert ${r.alert}`, r.expr]),
  ].filter(([, expr]) => expr.includes('aigw_otel_injector_pods_unconfigured'));

  it('some panel or alert shows the drift gauge', () => expect(uses.length).toBeGreaterThan(0));

  it.each(uses)('%s takes the max of the leader-only gauge, never a sum over replicas', (_where, expr) => {
    expect(aggregationsOf(expr, 'aigw_otel_injector_pods_unconfigured')).toEqual(['max']);
  });

  it("the ServiceMonitor keeps the gauge's own namespace label (the gateways'), not the target's", () => {
    const monitor = parse(readFileSync(join(dir, 'servicemonitor.yaml'), 'utf8'));
    expect(monitor.spec.endpoints[0].honorLabels).toBe(true);
  });
});
