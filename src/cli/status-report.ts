import { latestProbeOutcome, type ProbeResult, type RecordedEvent } from '../core/collector-probe.js';
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

/**
 * The collector probe's last result for the namespace, from its Events: `none` when there is none (the result has not
 * changed within the API server's event TTL, an hour by default, or nothing was probed), `not-read` when the Events
 * could not be listed.
 */
export interface CollectorStatus {
  readonly result: ProbeResult | 'none' | 'not-read';
  readonly reason: string;
  /** When the injector recorded it. */
  readonly since?: string;
}

/** The column from what reading the namespace's Events gave: its Events, or why they could not be read. */
export function collectorStatus(events: readonly RecordedEvent[] | { readonly error: string }): CollectorStatus {
  if ('error' in events) return { result: 'not-read', reason: `cannot list the namespace's Events: ${events.error}` };
  return (
    latestProbeOutcome(events) ?? {
      result: 'none',
      reason: 'no probe Event: the result has not changed within the event TTL, or nothing was probed',
    }
  );
}

export interface NamespaceStatus {
  readonly name: string;
  /** Every AI Gateway pod configured as the namespace says now. */
  readonly ok: boolean;
  /** What a core container gets, by env var; Secret references by name, never their values. */
  readonly settings: Readonly<Record<string, string>>;
  readonly problems: readonly string[];
  readonly workloads: readonly WorkloadStatus[];
  /** Is the Collector reachable with what the pods are given, as the injector last found (its probe's Events). */
  readonly collector: CollectorStatus;
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
  collector: CollectorStatus,
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
    collector,
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
    const since = ns.collector.since === undefined ? '' : ` (since ${ns.collector.since})`;
    lines.push(`  collector: ${ns.collector.result}${since}: ${ns.collector.reason}`);
    if (ns.workloads.length === 0) lines.push('  no AI Gateway workloads');
    for (const w of ns.workloads) {
      lines.push(`  ${w.kind}/${w.name}: ${w.configured} configured, ${w.missing} missing, ${w.stale} stale`);
    }
  }
  return `${lines.join('\n')}\n`;
}
