import { isCollection, isMap, isSeq, parseAllDocuments, type Document } from 'yaml';
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
export async function injectYaml(
  text: string,
  lookup: NamespaceLookup,
  defaultNamespace: string,
): Promise<InjectOutcome> {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return { ok: true, value: { output: '', warnings: [] } };
  const warnings: string[] = [];
  for (const [i, doc] of documents.entries()) {
    const where = `document ${i + 1}`;
    const [error] = doc.errors;
    if (error !== undefined)
      return { ok: false, error: `${where}: ${error.message.split('\n', 1)[0]?.replace(/:$/, '')}` };
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isPlain(value)) return { ok: false, error: `${where}: not a Kubernetes object (a mapping with kind)` };
    const items: unknown[] = value.kind === 'List' && Array.isArray(value.items) ? value.items : [value];
    for (const [j, item] of items.entries()) {
      const at = items[0] === value ? [] : ['items', j];
      const warn = (w: string) => warnings.push(`${where}${describe(item)}: ${w}`);
      const problem = await injectObject(item, at, { doc, lookup, defaultNamespace, warn });
      if (problem !== undefined) return { ok: false, error: `${where}${describe(item)}: ${problem}` };
    }
  }
  // Never fold a long value over lines: a `$(…)` reference split by a line continuation is unreadable in a diff.
  const render = (d: Document) => d.toString({ lineWidth: 0 });
  // A document after the first keeps its own `---` when it had one; others get one.
  const output = documents
    .map((d, i) => (i === 0 || render(d).startsWith('---') ? render(d) : `---\n${render(d)}`))
    .join('');
  return { ok: true, value: { output, warnings } };
}

function describe(item: unknown): string {
  if (!isPlain(item)) return '';
  const name = isPlain(item.metadata) ? item.metadata.name : undefined;
  return ` (${String(item.kind)}${typeof name === 'string' ? `/${name}` : ''})`;
}

interface Context {
  readonly doc: Document;
  readonly lookup: NamespaceLookup;
  readonly defaultNamespace: string;
  readonly warn: (w: string) => void;
}

/** The pod template of a workload and where it sits, or why it cannot be read; undefined for other kinds. */
function templateOf(item: Plain): { path: readonly (string | number)[]; template: Plain } | string | undefined {
  if (typeof item.kind !== 'string') return 'no kind';
  const path = TEMPLATE_PATHS[item.kind];
  if (path === undefined) return undefined;
  const template = path.reduce<unknown>((node, key) => (isPlain(node) ? node[key as string] : undefined), item);
  if (!isPlain(template) || !isPlain(template.spec)) return `${path.join('.') || 'spec'}: no pod spec`;
  return { path, template };
}

/**
 * The workload as the pod's controlling owner, so the workload's name becomes a resource attribute as it would
 * at admission (there through the ReplicaSet). Only in the review: the owner is not written into the template.
 */
function ownedBy(item: Plain): { ownerReferences?: Plain[] } {
  const name = isPlain(item.metadata) ? item.metadata.name : undefined;
  if (item.kind === 'Pod' || item.kind === 'CronJob' || typeof name !== 'string') return {};
  return { ownerReferences: [{ apiVersion: item.apiVersion, kind: item.kind, name, controller: true }] };
}

function namespaceOf(item: Plain, fallback: string): string {
  const metadata = isPlain(item.metadata) ? item.metadata : {};
  return typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : fallback;
}

async function injectObject(item: unknown, at: (string | number)[], ctx: Context): Promise<string | undefined> {
  if (!isPlain(item)) return 'list item is not an object';
  const found = templateOf(item);
  if (found === undefined || typeof found === 'string') return found; // other kinds pass through unchanged
  const { path, template } = found;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...(isPlain(template.metadata) ? template.metadata : {}), ...ownedBy(item) },
    spec: template.spec,
  };
  const outcome = await mutatePod(
    {
      uid: 'aigw-otel-injector-cli',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: namespaceOf(item, ctx.defaultNamespace),
      object: pod,
    },
    { lookup: ctx.lookup },
  );
  if (outcome.reason === 'malformed-pod') return outcome.problems[0]?.message ?? 'not a valid pod template';
  if (outcome.reason === 'internal-error') return 'internal error while injecting';
  for (const w of outcome.response.warnings ?? []) ctx.warn(w);
  const patch = outcome.response.patch;
  const ops = patch === undefined ? [] : (JSON.parse(Buffer.from(patch, 'base64').toString()) as Operation[]);
  for (const op of ops) applyToDocument(ctx.doc, [...at, ...path], op);
  return undefined;
}

/**
 * What the injector adds is written in block style, one entry a line, so a pull request shows one line per
 * variable: each flow collection on the way to a change (`env: [...]`, `containers: [...]`) becomes block style.
 */
function blockAlong(doc: Document, path: readonly (string | number)[]): void {
  for (let i = 1; i < path.length; i++) {
    const node = doc.getIn(path.slice(0, i), true);
    if (isCollection(node) && node.flow === true) node.flow = false;
  }
}

/** One JSON Patch operation, applied to the YAML node at `prefix` + the op's path (RFC 6901 unescaped). */
function applyToDocument(doc: Document, prefix: readonly (string | number)[], op: Operation): void {
  const segments = op.path
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path = [...prefix, ...segments];
  blockAlong(doc, path);
  const parent = doc.getIn(path.slice(0, -1), true);
  const last = path.at(-1) as string;
  const key: string | number = isSeq(parent) ? Number(last) : last;
  const full = [...path.slice(0, -1), key];
  if (op.op === 'remove') doc.deleteIn(full);
  else if (op.op === 'add' && isSeq(parent) && Number(key) < parent.items.length)
    parent.items.splice(Number(key), 0, doc.createNode((op as { value: unknown }).value));
  else if (op.op === 'add' || op.op === 'replace') doc.setIn(full, doc.createNode((op as { value: unknown }).value));
  else if (!isMap(parent)) throw new Error(`unsupported patch operation ${op.op}`);
}
