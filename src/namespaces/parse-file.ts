import { parseAllDocuments } from 'yaml';
import { PREFIX } from '../core/annotations.js';
import type { Annotations } from '../core/read-annotations.js';
import { fail, ok, type Parsed } from '../core/result.js';

export type NamespaceMap = ReadonlyMap<string, Annotations>;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Namespaces from YAML: a `List`/`NamespaceList` with `items` (what `kubectl get ns -o yaml` prints),
 * `---`-separated Namespace documents, or both. Only the injector's own annotations are kept.
 */
export function parseNamespaces(text: string): Parsed<NamespaceMap> {
  const namespaces = new Map<string, Annotations>();
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return ok(namespaces);
  for (const [i, doc] of documents.entries()) {
    const where = `document ${i + 1}`;
    const [error] = doc.errors;
    if (error !== undefined) return fail(`${where}: ${error.message.split('\n', 1)[0]}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const isList = isRecord(value) && /List$/.test(String(value.kind));
    const items = isList ? (value.items ?? []) : [value];
    if (!Array.isArray(items)) return fail(`${where}: items is not a list`);
    for (const [j, item] of items.entries()) {
      const at = isList ? `${where}, item ${j + 1}` : where;
      const added = addNamespace(namespaces, item);
      if (added !== undefined) return fail(`${at}: ${added}`);
    }
  }
  return ok(namespaces);
}

function addNamespace(into: Map<string, Annotations>, item: unknown): string | undefined {
  if (!isRecord(item)) return 'not a mapping';
  if (item.kind !== 'Namespace') return `kind ${String(item.kind)} is not a Namespace`;
  const metadata = isRecord(item.metadata) ? item.metadata : {};
  const { name, annotations = {} } = metadata;
  if (typeof name !== 'string' || name === '') return 'metadata.name is missing';
  if (into.has(name)) return `namespace ${name} appears twice`;
  if (!isRecord(annotations)) return `namespace ${name}: metadata.annotations is not a mapping`;
  into.set(name, ownAnnotationsOf(annotations));
  return undefined;
}

/** Keeps only `aigw-otel.io/` keys with their string values: all a review needs, and little memory. */
export function ownAnnotationsOf(annotations: Readonly<Record<string, unknown>>): Annotations {
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) {
    if (k.startsWith(PREFIX)) own[k] = typeof v === 'string' ? v : String(v);
  }
  return Object.freeze(own);
}
