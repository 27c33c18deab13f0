/** `aigw-otel-injector status` against the stand-in API server. */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStatus } from '../../src/cli/status.js';
import { decide } from '../../src/core/inject.js';
import { kubeApi } from '../../src/kube/api.js';
import { corePod, CORE_IMAGE } from '../fixtures/pods.js';
import { spawnTied } from '../harness/process/spawn.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';

const a = (k: string) => `aigw-otel.io/${k}`;
const config = {
  [a('endpoint')]: 'https://collector:4317',
  [a('ca-configmap')]: 'collector-ca',
  [a('headers-secret')]: 'collector-auth',
  [a('metric-export-interval')]: '10s',
};
const template = { metadata: { labels: { app: 'aigw' } }, spec: { containers: [{ name: 'aigw', image: CORE_IMAGE }] } };
const named = (pod: ReturnType<typeof corePod>, name: string) => ({ ...pod, metadata: { ...pod.metadata, name } });
const admitted = (ns: Record<string, string>, namespace: string) => {
  const d = decide(ns, corePod(), { caStatus: 'unchecked', namespace });
  if (!d.inject) throw new Error('not injected');
  return d.pod;
};

let api: StandInApiServer;
let kubeconfig: string;
beforeAll(async () => {
  api = await new StandInApiServer().start();
  api.setNamespace('gateways', config);
  api.setWorkload('Deployment', 'gateways', 'aigw', template);
  api.setWorkload('Deployment', 'gateways', 'nginx', {
    ...template,
    spec: { containers: [{ name: 'n', image: 'nginx' }] },
  });
  api.setPod('gateways', named(admitted(config, 'gateways'), 'aigw-6d4b9c7f8d-ok001'));
  api.setPod('gateways', named(corePod(), 'aigw-6d4b9c7f8d-down1'));
  api.setNamespace('fine', config);
  api.setWorkload('Deployment', 'fine', 'aigw', template);
  api.setPod('fine', named(admitted(config, 'fine'), 'aigw-6d4b9c7f8d-ok002'));
  api.setNamespace('plain', { 'example.com/team': 'web' });
  kubeconfig = join(mkdtempSync(join(tmpdir(), 'aigw-kubeconfig-')), 'config');
  writeFileSync(kubeconfig, api.kubeconfigYaml('oncall-token'));
});
afterAll(() => api.stop());

describe('status', () => {
  it('-o json: settings (Secret references by name), workloads with configured/missing/stale pods, exit 1', async () => {
    const r = await runStatus(kubeApi(api.kubeConfig()), 'json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.namespaces.map((n: { name: string }) => n.name).sort()).toEqual(['fine', 'gateways']);
    const gateways = report.namespaces.find((n: { name: string }) => n.name === 'gateways');
    expect(gateways.ok).toBe(false);
    expect(gateways.workloads).toEqual([{ kind: 'Deployment', name: 'aigw', configured: 1, missing: 1, stale: 0 }]);
    expect(gateways.settings).toMatchObject({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector:4317',
      OTEL_METRIC_EXPORT_INTERVAL: '10000',
      OTEL_EXPORTER_OTLP_HEADERS: 'from Secret collector-auth, key headers',
      'CA volume': 'ConfigMap collector-ca at /etc/collector',
    });
    expect(report.namespaces.find((n: { name: string }) => n.name === 'fine').ok).toBe(true);
  });

  it('prints text for a person, and exits 0 once every pod is configured', async () => {
    api.pods.delete('gateways/aigw-6d4b9c7f8d-down1');
    const r = await runStatus(kubeApi(api.kubeConfig()), 'text');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('namespace gateways: all configured');
    expect(r.stdout).toContain('  Deployment/aigw: 1 configured, 0 missing, 0 stale');
    expect(r.stdout).toContain('  OTEL_EXPORTER_OTLP_HEADERS = from Secret collector-auth, key headers');
    expect(r.stdout).not.toContain('plain');
    api.setPod('gateways', named(corePod(), 'aigw-6d4b9c7f8d-down1'));
  });

  it('as a command, with --kubeconfig: the report, the exit code, the token from the kubeconfig', async () => {
    // Not spawnSync: the stand-in answers from this very process, which must keep running meanwhile.
    const child = spawnTied(process.execPath, ['dist/main.js', 'status', '--kubeconfig', kubeconfig]);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const [status] = (await once(child, 'exit')) as [number];
    const r = { status, stdout };
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('namespace gateways: PODS MISSING OR STALE');
    expect(r.stdout).toContain('Deployment/aigw: 1 configured, 1 missing, 0 stale');
    expect(api.requests.at(-1)?.authorization).toBe('Bearer oncall-token');
  });

  it.each([
    [['status', '-o', 'yaml'], 2, /-o yaml: text or json/],
    [['status', '--kubeconfig', '/nonexistent/config'], 1, /cannot load the kubeconfig/],
  ])('%j exits %i', (args, code, message) => {
    const r = spawnSync(process.execPath, ['dist/main.js', ...args], { encoding: 'utf8' });
    expect(r.status).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('an unreachable API server: exit 1 with a message', async () => {
    const gone = new StandInApiServer();
    await gone.start();
    const kc = gone.kubeConfig();
    await gone.stop();
    const r = await runStatus(kubeApi(kc), 'text');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read the cluster/);
  });
});
