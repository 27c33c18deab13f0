import { podDrift, type PodTelemetry } from '../core/drift.js';
import type { Pod } from '../core/pod.js';
import { formatProblem } from '../core/problems.js';
import { readAnnotations, type Annotations, type Values } from '../core/read-annotations.js';
import type { Workload } from '../core/rollout.js';
import { settingsFrom } from '../core/settings.js';
import { findTargets } from '../core/targets.js';

export interface WorkloadStatus {
  readonly kind: string;
  readonly name: string;
  readonly configured: number;
  readonly missing: number;
  readonly stale: number;
}

export interface NamespaceStatus {
  readonly name: string;
  /** Every AI Gateway pod configured as the namespace says now. */
  readonly ok: boolean;
  /** What a core container gets, by env var; Secret references by name, never their values. */
  readonly settings: Readonly<Record<string, string>>;
  readonly problems: readonly string[];
  readonly workloads: readonly WorkloadStatus[];
}

export interface StatusReport {
  readonly ok: boolean;
  readonly namespaces: readonly NamespaceStatus[];
}

/** The effective settings a core container gets from the namespace: env var → value, or where it comes from. */
function settingsOf(values: Values): Record<string, string> {
  const settings = settingsFrom(values);
  const env = settings.env('core', { ca: true, clientCert: true });
  const out: Record<string, string> = Object.fromEntries(
    env.map((e) =>
      'value' in e
        ? [e.name, e.value]
        : [e.name, `from Secret ${e.valueFrom.secretKeyRef.name}, key ${e.valueFrom.secretKeyRef.key}`],
    ),
  );
  if (settings.ca) out['CA volume'] = `ConfigMap ${settings.ca.configMap} at ${settings.ca.mountPath}`;
  if (settings.clientCert) out['client certificate volume'] = `Secret ${settings.clientCert.secret}`;
  if (values['auto-rollout'] === true) out['auto-rollout'] = 'on';
  if (!settings.inject) out.inject = 'off';
  return out;
}

/** One namespace's status, from its annotations, its workloads and its running pods. Pure. */
export function namespaceStatus(
  name: string,
  annotations: Annotations,
  workloads: readonly Workload[],
  pods: readonly Pod[],
): NamespaceStatus {
  const reading = readAnnotations(annotations, 'namespace');
  const gateways = workloads.filter((w) => {
    const asPod: Pod = { metadata: w.template.metadata ?? {}, spec: w.template.spec };
    return findTargets(asPod, readAnnotations(w.template.metadata?.annotations, 'pod').values).targets.length > 0;
  });
  const counts = new Map<string, Record<PodTelemetry, number>>(
    gateways.map((w) => [`${w.kind}/${w.name}`, { configured: 0, missing: 0, stale: 0 }]),
  );
  for (const pod of pods) {
    const drift = podDrift(annotations, pod);
    if (drift === undefined) continue;
    const key = drift.workload === undefined ? '-/(no workload)' : `${drift.workload.kind}/${drift.workload.name}`;
    const c = counts.get(key) ?? { configured: 0, missing: 0, stale: 0 };
    c[drift.state]++;
    counts.set(key, c);
  }
  const rows = [...counts.entries()].map(([key, c]) => {
    const slash = key.indexOf('/');
    return { kind: key.slice(0, slash), name: key.slice(slash + 1), ...c };
  });
  return {
    name,
    ok: rows.every((r) => r.missing === 0 && r.stale === 0),
    settings: settingsOf(reading.values),
    problems: reading.problems.map(formatProblem),
    workloads: rows.sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`)),
  };
}

/** The report as a person reads it. */
export function formatStatus(report: StatusReport): string {
  if (report.namespaces.length === 0) return 'no namespace carries aigw-otel.io/ annotations\n';
  const lines: string[] = [];
  for (const ns of report.namespaces) {
    lines.push(`namespace ${ns.name}: ${ns.ok ? 'all configured' : 'PODS MISSING OR STALE'}`);
    for (const [k, v] of Object.entries(ns.settings)) lines.push(`  ${k} = ${v}`);
    for (const p of ns.problems) lines.push(`  problem: ${p}`);
    if (ns.workloads.length === 0) lines.push('  no AI Gateway workloads');
    for (const w of ns.workloads) {
      lines.push(`  ${w.kind}/${w.name}: ${w.configured} configured, ${w.missing} missing, ${w.stale} stale`);
    }
  }
  return `${lines.join('\n')}\n`;
}
