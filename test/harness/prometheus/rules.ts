/**
 * The monitoring pack's alerts as Prometheus reads them: the rule groups of our PrometheusRule (the kustomize
 * component's and the Helm chart's copy), written as a plain rules file, and the promtool unit tests of
 * test/prometheus/rules-tests with the alerts each one covers.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly Rule[];
}

/** Where the PrometheusRule's groups live: the component's whole object, and the chart's spec file. */
export const RULE_SOURCES = {
  'the kustomize component': () =>
    parse(readFileSync('manifests/components/monitoring/prometheusrule.yaml', 'utf8')).spec.groups as RuleGroup[],
  'the Helm chart': () =>
    parse(readFileSync('manifests/helm/aigw-otel-injector/files/prometheusrule-spec.yaml', 'utf8'))
      .groups as RuleGroup[],
} as const;

export type RuleSource = keyof typeof RULE_SOURCES;

/** The alert names, in the order the groups list them. */
export function alertNames(groups: readonly RuleGroup[]): string[] {
  return groups.flatMap((g) => g.rules.flatMap((r) => (r.alert === undefined ? [] : [r.alert])));
}

/** Writes the groups as a Prometheus rules file (`groups:` at the top, as `rule_files` and promtool read it). */
export function writeRulesFile(path: string, groups: readonly RuleGroup[]): string {
  writeFileSync(path, stringify({ groups }));
  return path;
}

/**
 * The groups with every `for:` replaced, for a server test that cannot wait minutes; the expressions, labels and
 * annotations stay as shipped.
 */
export function withFor(groups: readonly RuleGroup[], duration: string): RuleGroup[] {
  return groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) => (r.for === undefined ? r : { ...r, for: duration })),
  }));
}

/** The folder of committed promtool unit tests, one file per alert. */
export const RULE_TESTS_DIR = 'test/prometheus/rules-tests';

interface AlertRuleTest {
  readonly alertname: string;
  readonly eval_time: string;
  readonly exp_alerts?: readonly unknown[] | null;
}
interface RuleTestFile {
  readonly rule_files: readonly string[];
  readonly tests: readonly { readonly name: string; readonly alert_rule_test?: readonly AlertRuleTest[] }[];
}

/** What one promtool test file holds, per alert: which test cases expect it to fire and which expect silence. */
export interface RuleTestCoverage {
  readonly file: string;
  readonly ruleFiles: readonly string[];
  readonly firing: ReadonlyMap<string, readonly string[]>;
  readonly silent: ReadonlyMap<string, readonly string[]>;
}

const push = (map: Map<string, string[]>, key: string, value: string) => map.set(key, [...(map.get(key) ?? []), value]);

/** Every committed test file (sorted), with the alerts its cases expect to fire or not. */
export function ruleTestFiles(dir = RULE_TESTS_DIR): RuleTestCoverage[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const doc = parse(readFileSync(join(dir, file), 'utf8')) as RuleTestFile;
      const firing = new Map<string, string[]>();
      const silent = new Map<string, string[]>();
      for (const t of doc.tests)
        for (const check of t.alert_rule_test ?? []) {
          const where = `${t.name} (at ${check.eval_time})`;
          push((check.exp_alerts ?? []).length > 0 ? firing : silent, check.alertname, where);
        }
      return { file, ruleFiles: doc.rule_files, firing, silent };
    });
}
