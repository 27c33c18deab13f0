import { isMap, isSeq, parseAllDocuments, type Document } from 'yaml';
import { mutatePod, type NamespaceLookup } from '../admission/mutate-pods.js';
import type { Operation } from '../core/patch.js';

/** Where each workload kind keeps its pod template. */
const TEMPLATE_PATHS: Readonly<Record<string, readonly (string | number)[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export interface InjectResult {
  readonly output: string;
  readonly warnings: readonly string[];
}

export type InjectOutcome = { ok: true; value: InjectResult } | { ok: false; error: string };

type Plain = Record<string, unknown>;
const isPlain = (x: unknown): x is Plain => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The manifests with what the webhook would inject, through the webhook's own handler: each pod template
 * becomes the Pod the API server would review, and the patch the webhook answers is applied to the template
 * in the YAML document, so comments and key order stay where the YAML library keeps them.
 */
export async function injectYaml(text: string, lookup: NamespaceLookup, defaultNamespace: string): Promise<InjectOutcome> {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return { ok: true, value: { output: '', warnings: [] } };
  const warnings: string[] = [];
  for (const [i, doc] of documents.entries()) {
    const where = `document ${i + 1}`;
    const [error] = doc.errors;
    if (error !== undefined) return { ok: false, error: `${where}: ${error.message.split('\n', 1)[0]?.replace(/:$/, '')}` };
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isPlain(value)) return { ok: false, error: `${where}: not a Kubernetes object (a mapping with kind)` };
    const objects = value.kind === 'List' && Array.isArray(value.items) ? value.items.map((item, j) => ({ item, at: ['items', j] })) : [{ item: value, at: [] }];
    for (const { item, at } of objects) {
      const problem = await injectObject(doc, item, at, lookup, defaultNamespace, (w) => warnings.push(`${where}${describe(item)}: ${w}`));
      if (problem !== undefined) return { ok: false, error: `${where}${describe(item)}: ${problem}` };
    }
  }
  // A document after the first keeps its own `---` when it had one; others get one.
  const output = documents.map((d, i) => (i === 0 || String(d).startsWith('---') ? String(d) : `---\n${String(d)}`)).join('');
  return { ok: true, value: { output, warnings } };
}

function describe(item: unknown): string {
  if (!isPlain(item)) return '';
  const name = isPlain(item.metadata) ? item.metadata.name : undefined;
  return ` (${String(item.kind)}${typeof name === 'string' ? `/${name}` : ''})`;
}

async function injectObject(
  doc: Document,
  item: unknown,
  at: (string | number)[],
  lookup: NamespaceLookup,
  defaultNamespace: string,
  warn: (w: string) => void,
): Promise<string | undefined> {
  if (!isPlain(item)) return 'list item is not an object';
  if (typeof item.kind !== 'string') return 'no kind';
  const templatePath = TEMPLATE_PATHS[item.kind];
  if (templatePath === undefined) return undefined; // other kinds pass through unchanged
  const template = templatePath.reduce<unknown>((node, key) => (isPlain(node) ? node[key as string] : undefined), item);
  if (!isPlain(template) || !isPlain(template.spec)) return `${templatePath.join('.') || 'spec'}: no pod spec`;
  const metadata = isPlain(item.metadata) ? item.metadata : {};
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : defaultNamespace;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...(isPlain(template.metadata) ? template.metadata : {}) }, spec: template.spec };

  const outcome = await mutatePod(
    {
      uid: 'aigw-otel-injector-cli',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace,
      object: pod,
    },
    { lookup },
  );
  if (outcome.reason === 'malformed-pod') return outcome.problems[0]?.message ?? 'not a valid pod template';
  if (outcome.reason === 'internal-error') return 'internal error while injecting';
  for (const w of outcome.response.warnings ?? []) warn(w);
  const ops = outcome.response.patch === undefined ? [] : (JSON.parse(Buffer.from(outcome.response.patch, 'base64').toString()) as Operation[]);
  for (const op of ops) applyToDocument(doc, [...at, ...templatePath], op);
  return undefined;
}

/** One JSON Patch operation, applied to the YAML node at `prefix` + the op's path (RFC 6901 unescaped). */
function applyToDocument(doc: Document, prefix: readonly (string | number)[], op: Operation): void {
  const segments = op.path
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path = [...prefix, ...segments];
  const parent = doc.getIn(path.slice(0, -1), true);
  const last = path.at(-1) as string;
  const key: string | number = isSeq(parent) ? Number(last) : last;
  const full = [...path.slice(0, -1), key];
  if (op.op === 'remove') doc.deleteIn(full);
  else if (op.op === 'add' && isSeq(parent) && Number(key) < parent.items.length) parent.items.splice(Number(key), 0, doc.createNode((op as { value: unknown }).value));
  else if (op.op === 'add' || op.op === 'replace') doc.setIn(full, doc.createNode((op as { value: unknown }).value));
  else if (!isMap(parent)) throw new Error(`unsupported patch operation ${op.op}`);
}
