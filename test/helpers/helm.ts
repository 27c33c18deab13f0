/**
 * The chart (manifests/helm/aigw-otel-injector) run through the real helm and kubectl of test/real/build.sh: lint,
 * template, and kustomize renderings of the same install, as objects.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { spawnTied } from '../harness/process/spawn.js';
import type { K8sObject } from '../manifests/render.js';
import { realPaths } from './real-parts.js';

export const CHART = 'manifests/helm/aigw-otel-injector';
/** The release and namespace the README installs into: the names the kustomize manifests use. */
export const RELEASE = 'aigw-otel-injector';
export const NAMESPACE = 'aigw-otel-injector';

/** helm's own state (repositories, cache, plugins) in a folder of this run, never the user's ~/.config/helm. */
const helmHome = mkdtempSync(join(tmpdir(), 'aigw-helm-home-'));
export const helmEnv: Record<string, string> = {
  HELM_CACHE_HOME: join(helmHome, 'cache'),
  HELM_CONFIG_HOME: join(helmHome, 'config'),
  HELM_DATA_HOME: join(helmHome, 'data'),
};

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs helm with the arguments; never throws on a non-zero exit (the caller judges). */
export function helm(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Result {
  const r = spawnSync(realPaths.helm, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: helmHome, ...helmEnv, ...env },
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/**
 * helm, asynchronously: while it installs or upgrades, an injector in this process must stay free to answer the
 * API server's webhook calls (see test/helpers/control-plane.ts). Killed after `timeoutMs`.
 */
export function helmAsync(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawnTied(realPaths.helm, args, {
      env: { PATH: process.env.PATH ?? '', HOME: helmHome, ...helmEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => (stderr += String(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code, stdout, stderr });
    });
  });
}

/** A values file with these values, for `-f` (what a user writes; `--set` would coerce types). */
export function valuesFile(values: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-values-'));
  const file = join(dir, 'values.yaml');
  writeFileSync(file, JSON.stringify(values));
  return file;
}

export const parseObjects = (text: string): K8sObject[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);

/** `helm template` of the chart with these values, as objects; throws with helm's message on failure. */
export function template(values: Record<string, unknown> = {}, release = RELEASE, namespace = NAMESPACE): K8sObject[] {
  const r = helm(['template', release, CHART, '--namespace', namespace, '-f', valuesFile(values)]);
  if (r.status !== 0) throw new Error(`helm template failed (${r.status}): ${r.stderr}`);
  return parseObjects(r.stdout);
}

/** Every switch of the chart on (certificates from the chart; the cert-manager source has its own case). */
export const ALL_ON = {
  autoRollout: { enabled: true },
  monitoring: {
    serviceMonitor: { enabled: true },
    prometheusRule: { enabled: true },
    dashboard: { enabled: true },
  },
};

/**
 * `kubectl kustomize` (the real kubectl of test/real) of a copy of manifests/ where the static-certs overlay has
 * fresh certificates (as the README makes them) and, when asked, the components added as the README says.
 */
export function kustomize(overlay: 'static-certs' | 'cert-manager', components: string[] = []): K8sObject[] {
  const root = mkdtempSync(join(tmpdir(), 'aigw-kustomize-'));
  execFileSync('cp', ['-r', 'manifests', root]);
  if (overlay === 'static-certs') {
    execFileSync('bash', ['certs/generate.sh', '--out', join(root, 'manifests/overlays/static-certs'), '--quiet']);
  }
  const dir = join(root, 'manifests/overlays/with-components');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `resources:\n  - ../${overlay}\ncomponents:\n${components.map((c) => `  - ../../components/${c}\n`).join('') || '  []\n'}`,
  );
  const text = execFileSync(realPaths.kubectl, ['kustomize', dir], { encoding: 'utf8' });
  return parseObjects(text);
}

export const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
