/**
 * A real Prometheus server (built by test/real/parts/75-prometheus.sh) on loopback, scraping static targets and
 * evaluating a rules file, and a client of its HTTP API (/api/v1/query, /api/v1/alerts). It dies with the test
 * process (spawnTied); its TSDB lives in a temporary folder. It talks to nothing but its loopback targets: no
 * Alertmanager, no remote write.
 *
 * The scrape config is the one the Prometheus operator generates from our ServiceMonitor, reduced to what a test
 * without a cluster network can have: the endpoint's path, scheme, honorLabels and relabelings as they are, the
 * target labels the operator's Kubernetes discovery gives (job = the Service's name, namespace, service, endpoint =
 * the port's name, pod, container) as static labels, and a short interval in place of the ServiceMonitor's.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnTied } from '../process/spawn.js';
import { freePort } from '../../helpers/process.js';
import { realPaths } from '../../helpers/real-parts.js';
import type { K8sObject } from '../../manifests/render.js';
import { writeRulesFile, type RuleGroup } from './rules.js';

/** A target as the operator's discovery would give it: the pod's address and its labels. */
export interface Target {
  readonly address: string;
  readonly pod: string;
}

interface ServiceMonitorEndpoint {
  readonly port: string;
  readonly path?: string;
  readonly scheme?: string;
  readonly honorLabels?: boolean;
  readonly relabelings?: readonly Record<string, unknown>[];
  readonly metricRelabelings?: readonly Record<string, unknown>[];
}

/** The operator's spelling of a relabel config (sourceLabels, targetLabel, ...) in Prometheus's (source_labels, ...). */
const snake = (config: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));

/**
 * The scrape config of the ServiceMonitor's first endpoint for these targets. `container` is the container whose
 * port the endpoint reaches (the operator adds its name as a label).
 */
export function scrapeConfigOf(
  monitor: K8sObject,
  service: K8sObject,
  container: string,
  targets: readonly Target[],
  interval: string,
): Record<string, unknown> {
  const [endpoint] = monitor.spec.endpoints as ServiceMonitorEndpoint[];
  if (endpoint === undefined) throw new Error(`ServiceMonitor ${monitor.metadata.name} has no endpoints`);
  return {
    job_name: `serviceMonitor/${monitor.metadata.namespace ?? 'default'}/${monitor.metadata.name}/0`,
    scrape_interval: interval,
    scrape_timeout: interval,
    metrics_path: endpoint.path ?? '/metrics',
    scheme: endpoint.scheme ?? 'http',
    honor_labels: endpoint.honorLabels ?? false,
    static_configs: targets.map((t) => ({
      targets: [t.address],
      labels: {
        job: service.metadata.name,
        namespace: service.metadata.namespace ?? 'default',
        service: service.metadata.name,
        endpoint: endpoint.port,
        pod: t.pod,
        container,
      },
    })),
    ...(endpoint.relabelings === undefined ? {} : { relabel_configs: endpoint.relabelings.map(snake) }),
    ...(endpoint.metricRelabelings === undefined
      ? {}
      : { metric_relabel_configs: endpoint.metricRelabelings.map(snake) }),
  };
}

export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface Alert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: 'pending' | 'firing';
  readonly value: string;
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query's vector (or scalar, as one sample without labels) at the current time. */
  query(expr: string): Promise<Sample[]>;
  /** Every active alert (pending or firing). */
  alerts(): Promise<Alert[]>;
  /** The server's own log, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  readonly scrapeConfigs: readonly Record<string, unknown>[];
  readonly ruleGroups: readonly RuleGroup[];
  /** How often the rules are evaluated (and the default scrape interval). */
  readonly evaluationInterval: string;
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? res.status}`);
  return body.data;
}

/** Starts Prometheus and resolves once /-/ready answers 200. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-prometheus-'));
  writeRulesFile(join(dir, 'rules.yaml'), options.ruleGroups);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: options.evaluationInterval, evaluation_interval: options.evaluationInterval },
      rule_files: ['rules.yaml'],
      scrape_configs: options.scrapeConfigs,
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawnTied(
    realPaths.prometheus,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  // Ready when the TSDB is open and the first config loaded: a second or two, longer on a loaded machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${log}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`prometheus not ready in 60 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    query: async (expr) => {
      const data = await api<{ resultType: string; result: unknown }>(
        `${url}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      if (data.resultType === 'scalar') {
        const [, value] = data.result as [number, string];
        return [{ metric: {}, value: Number(value) }];
      }
      return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
        metric: s.metric,
        value: Number(s.value[1]),
      }));
    },
    alerts: async () => (await api<{ alerts: Alert[] }>(`${url}/api/v1/alerts`)).alerts,
    logs: () => log,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
