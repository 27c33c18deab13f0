import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { realPaths } from '../helpers/real-parts.js';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
} & Record<string, any>;

/**
 * `kubectl kustomize` of an overlay, rendered offline, as objects. The kubectl is the one test/real/build.sh built
 * (the version the real-cluster tests run), never whatever is on PATH: callers check `haveRealParts('kubectl')`.
 */
export function render(dir: string): K8sObject[] {
  const text = execFileSync(realPaths.kubectl, ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(text).map((d) => unfoldBase64(d.toJS() as K8sObject));
}

/**
 * kustomize folds long base64 values (Secret data, caBundle) over several lines. The API server's decoder
 * (Go's encoding/base64) skips the newlines; the schema's `byte` format does not, so they are joined first.
 */
function unfoldBase64(o: K8sObject): K8sObject {
  const join = (s: unknown) => (typeof s === 'string' ? s.replace(/\s+/g, '') : s);
  if (o.kind === 'Secret' && o.data) o.data = Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, join(v)]));
  for (const w of Array.isArray(o.webhooks) ? o.webhooks : []) {
    if (w.clientConfig?.caBundle !== undefined) w.clientConfig.caBundle = join(w.clientConfig.caBundle);
  }
  return o;
}

/** A copy of manifests/ with fresh certificates in the static-certs overlay, as the README says to make them. */
export function manifestsWithCerts(): { root: string; caPem: string } {
  const root = mkdtempSync(join(tmpdir(), 'aigw-manifests-'));
  cpSync('manifests', join(root, 'manifests'), { recursive: true });
  const out = join(root, 'manifests/overlays/static-certs');
  execFileSync('bash', ['certs/generate.sh', '--out', out, '--quiet']);
  return { root, caPem: execFileSync('cat', [join(out, 'ca.crt')], { encoding: 'utf8' }) };
}

export const find = (objects: K8sObject[], kind: string, name?: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found === undefined) throw new Error(`no ${kind} ${name ?? ''}`);
  return found;
};
