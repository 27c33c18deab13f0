import { parseAllDocuments } from 'yaml';
import { PREFIX } from '../core/annotations.js';
import type { Annotations } from '../core/read-annotations.js';
import { fail, ok, type Parsed } from '../core/result.js';

export type NamespaceMap = ReadonlyMap<string, Annotations>;

export interface NamespaceEntry {
  readonly name: string;
  /** All of the namespace's annotations, values as strings. */
  readonly annotations: Readonly<Record<string, string>>;
  /** `document N` or `document N, item M`: where an operator finds it in the file. */
  readonly where: string;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Namespaces from YAML: a `List`/`NamespaceList` with `items` (what `kubectl get ns -o yaml` prints),
 * `---`-separated Namespace documents, or both. Other kinds are an error, or skipped when asked.
 */
export function parseNamespaceDocuments(
  text: string,
  options: { skipOtherKinds?: boolean } = {},
): Parsed<NamespaceEntry[]> {
  const entries: NamespaceEntry[] = [];
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return ok(entries);
  for (const [i, doc] of documents.entries()) {
    const where = `document ${i + 1}`;
    const [error] = doc.errors;
    if (error !== undefined) return fail(`${where}: ${error.message.split('\n', 1)[0]}`);
    const items = itemsOf(doc.toJS(), where);
    if (typeof items === 'string') return fail(`${where}: ${items}`);
    for (const { item, at } of items) {
      if (options.skipOtherKinds === true && isRecord(item) && item.kind !== 'Namespace') continue;
      const entry = namespaceEntry(item, at);
      if (typeof entry === 'string') return fail(`${at}: ${entry}`);
      entries.push(entry);
    }
  }
  return ok(entries);
}

/** The objects of one document: itself, or the items of a List, each with where it stands. */
function itemsOf(value: unknown, where: string): { item: unknown; at: string }[] | string {
  if (value === null || value === undefined) return [];
  if (!(isRecord(value) && /List$/.test(String(value.kind)))) return [{ item: value, at: where }];
  const items = value.items ?? [];
  if (!Array.isArray(items)) return 'items is not a list';
  return items.map((item: unknown, j) => ({ item, at: `${where}, item ${j + 1}` }));
}

function namespaceEntry(item: unknown, where: string): NamespaceEntry | string {
  if (!isRecord(item)) return 'not a mapping';
  if (item.kind !== 'Namespace') return `kind ${String(item.kind)} is not a Namespace`;
  const metadata = isRecord(item.metadata) ? item.metadata : {};
  const { name, annotations = {} } = metadata;
  if (typeof name !== 'string' || name === '') return 'metadata.name is missing';
  if (!isRecord(annotations)) return `namespace ${name}: metadata.annotations is not a mapping`;
  const asStrings = Object.fromEntries(
    Object.entries(annotations).map(([k, v]) => [k, typeof v === 'string' ? v : String(v)]),
  );
  return { name, annotations: asStrings, where };
}

/** The namespaces file of standalone mode: each namespace once, with only the injector's own annotations. */
export function parseNamespaces(text: string): Parsed<NamespaceMap> {
  const parsed = parseNamespaceDocuments(text);
  if (!parsed.ok) return parsed;
  const namespaces = new Map<string, Annotations>();
  for (const { name, annotations, where } of parsed.value) {
    if (namespaces.has(name)) return fail(`${where}: namespace ${name} appears twice`);
    namespaces.set(name, ownAnnotationsOf(annotations));
  }
  return ok(namespaces);
}

/** Keeps only `aigw-otel.io/` keys with their string values: all a review needs, and little memory. */
export function ownAnnotationsOf(annotations: Readonly<Record<string, unknown>>): Annotations {
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) {
    if (k.startsWith(PREFIX)) own[k] = typeof v === 'string' ? v : String(v);
  }
  return Object.freeze(own);
}
