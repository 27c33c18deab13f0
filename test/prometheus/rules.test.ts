/**
 * The PrometheusRule's alerts, checked and unit-tested by the real promtool (github.com/prometheus/prometheus, built
 * by test/real/parts/75-prometheus.sh). The rule groups are taken from the kustomize component and from the Helm
 * chart's copy at test time and written as a plain rules file; the committed cases in rules-tests/ (one file per
 * alert, from the README's runbook) run against each. Every alert must have a case that fires it, with the labels and
 * annotations the runbook promises, and a nearest case that must not: an alert added without both fails here.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  alertNames,
  RULE_SOURCES,
  RULE_TESTS_DIR,
  ruleTestFiles,
  writeRulesFile,
  type RuleSource,
} from '../harness/prometheus/rules.js';
import { haveRealParts, realPaths } from '../helpers/real-parts.js';

const sources = Object.keys(RULE_SOURCES) as RuleSource[];
const testFiles = ruleTestFiles();

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A folder holding rules.yaml (from the source) and the named test files, as their `rule_files: [rules.yaml]` expect. */
function workdir(source: RuleSource, ...files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-promtool-'));
  dirs.push(dir);
  writeRulesFile(join(dir, 'rules.yaml'), RULE_SOURCES[source]());
  for (const f of files) copyFileSync(join(RULE_TESTS_DIR, f), join(dir, f));
  return dir;
}

function promtool(dir: string, ...args: string[]) {
  const run = spawnSync(realPaths.promtool, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('every alert has promtool cases (rules-tests/<alert>.yaml)', () => {
  const alerts = alertNames(RULE_SOURCES['the kustomize component']());
  const covered = (kind: 'firing' | 'silent', alert: string) => testFiles.flatMap((f) => f[kind].get(alert) ?? []);

  // To cover a new alert: copy a file of rules-tests/ to <AlertName>.yaml, keep `rule_files: [rules.yaml]`, and
  // write one test whose alert_rule_test lists the alert in exp_alerts (all its labels and annotations) and one
  // for the nearest case where exp_alerts is [] (a value just under the threshold, a `for:` not yet elapsed, ...).
  it.each(alerts)('%s: a case that fires it and one that must not', (alert) => {
    expect(covered('firing', alert), `no case in ${RULE_TESTS_DIR} expects ${alert} to fire`).not.toEqual([]);
    expect(covered('silent', alert), `no case in ${RULE_TESTS_DIR} expects ${alert} to stay silent`).not.toEqual([]);
  });

  it('every case names an alert the PrometheusRule has, and reads the extracted rules.yaml', () => {
    for (const f of testFiles) {
      expect(f.ruleFiles, f.file).toEqual(['rules.yaml']);
      for (const alert of [...f.firing.keys(), ...f.silent.keys()]) expect(alerts, f.file).toContain(alert);
    }
  });
});

describe.skipIf(!haveRealParts('promtool'))('promtool', () => {
  it.each(sources)('`promtool check rules` passes on the groups of %s', (source) => {
    const dir = workdir(source);
    const { code, output } = promtool(dir, 'check', 'rules', 'rules.yaml');
    expect(code, output).toBe(0);
    const rules = RULE_SOURCES[source]().flatMap((g) => g.rules).length;
    expect(output).toContain(`SUCCESS: ${rules} rules found`);
  });

  const cases = sources.flatMap((source) => testFiles.map((f): [string, RuleSource] => [f.file, source]));
  it.each(cases)('`promtool test rules %s` passes against %s', (file, source) => {
    const { code, output } = promtool(workdir(source, file), 'test', 'rules', file);
    expect(code, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  // The cases can fail: the same file with one expected label changed is a failure promtool names.
  it('a case whose expected labels are wrong fails', () => {
    const file = 'AigwOtelInjectorFailingOpen.yaml';
    const dir = workdir('the kustomize component', file);
    const text = readFileSync(join(dir, file), 'utf8');
    expect(text).toContain('severity: warning');
    writeFileSync(join(dir, file), text.replace('severity: warning', 'severity: critical'));
    const { code, output } = promtool(dir, 'test', 'rules', file);
    expect(code).toBe(1);
    expect(output).toMatch(/FAILED/);
    expect(output).toContain('AigwOtelInjectorFailingOpen');
  });
});
