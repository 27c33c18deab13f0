import { describe, expect, it } from 'vitest';
import { parseNamespaces } from '../../src/namespaces/parse-file.js';

const list = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: ai-gateway
    annotations:
      aigw-otel.io/endpoint: https://collector:4317
      kubectl.kubernetes.io/last-applied-configuration: '{"big":"json"}'
- apiVersion: v1
  kind: Namespace
  metadata: {name: plain}
`;
const docs = `apiVersion: v1
kind: Namespace
metadata:
  name: a
  annotations: {aigw-otel.io/inject: "false"}
---
# a comment-only document is fine
---
apiVersion: v1
kind: NamespaceList
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: b, annotations: {aigw-otel.io/metric-export-interval: 10000}}}
`;

describe('namespaces file', () => {
  it.each([
    [
      'a List as kubectl get ns -o yaml prints it',
      list,
      { 'ai-gateway': { 'aigw-otel.io/endpoint': 'https://collector:4317' }, plain: {} },
    ],
    [
      '---separated documents and a NamespaceList',
      docs,
      { a: { 'aigw-otel.io/inject': 'false' }, b: { 'aigw-otel.io/metric-export-interval': '10000' } },
    ],
    ['an empty file', '', {}],
  ])('reads %s, keeping only our annotations', (_name, text, expected) => {
    const parsed = parseNamespaces(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(Object.fromEntries(parsed.value)).toEqual(expected);
  });

  it.each([
    ['broken YAML', 'kind: Namespace\nmetadata: {name: [', /document 1/],
    ['another kind', 'kind: Pod\nmetadata: {name: x}', /kind Pod is not a Namespace/],
    ['a namespace without a name', 'kind: Namespace\nmetadata: {}', /metadata.name is missing/],
    ['items that are not a list', 'kind: List\nitems: {a: 1}', /items is not a list/],
    [
      'the same namespace twice',
      'kind: Namespace\nmetadata: {name: a}\n---\nkind: Namespace\nmetadata: {name: a}',
      /document 2: namespace a appears twice/,
    ],
    ['a scalar document', 'just text', /not a mapping/],
    [
      'item 2 of a List',
      'kind: List\nitems:\n- {kind: Namespace, metadata: {name: a}}\n- {kind: Secret}',
      /document 1, item 2: kind Secret/,
    ],
  ])('refuses %s with the document number and why', (_name, text, reason) => {
    const parsed = parseNamespaces(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});
