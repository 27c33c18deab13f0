import { describe, expect, it } from 'vitest';
import type { Container, EnvVar, Pod } from '../../src/core/pod.js';
import {
  attributePlan,
  RESOURCE_ATTRIBUTES,
  withResourceAttributes,
  workloadAttribute,
  type AttributePlan,
} from '../../src/core/resource-attributes.js';

const RA = RESOURCE_ATTRIBUTES;
const NAME = 'OTEL_RESOURCE_ATTRIBUTES_POD_NAME';
const UID = 'OTEL_RESOURCE_ATTRIBUTES_POD_UID';
const NODE = 'OTEL_RESOURCE_ATTRIBUTES_NODE_NAME';
const field = (name: string, fieldPath: string): EnvVar => ({
  name,
  valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } },
});
const NAME_VAR = field(NAME, 'metadata.name');
const UID_VAR = field(UID, 'metadata.uid');
const NODE_VAR = field(NODE, 'spec.nodeName');
const FIELDS = [NAME_VAR, UID_VAR, NODE_VAR];

const K8S = 'k8s.namespace.name=ns,k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME)';
const ALL = `${K8S},k8s.pod.uid=$(${UID}),k8s.node.name=$(${NODE}),k8s.container.name=aigw,k8s.deployment.name=aigw`;
const AFTER_NAME = `k8s.pod.uid=$(${UID}),k8s.node.name=$(${NODE}),k8s.container.name=aigw,k8s.deployment.name=aigw`;

const plan = (overrides: Partial<AttributePlan> = {}): AttributePlan => ({
  k8s: { namespace: 'ns', workload: { key: 'k8s.deployment.name', value: 'aigw' } },
  extra: [],
  ...overrides,
});
const aigw = (env?: EnvVar[]): Container => ({ name: 'aigw', image: 'aigw:v1', ...(env ? { env } : {}) });
const v = (name: string, value: string): EnvVar => ({ name, value });

interface Row {
  env?: EnvVar[];
  plan?: AttributePlan;
  override?: boolean;
  /** The container's env afterwards; undefined: the very same container object back. */
  after?: EnvVar[];
  kept?: string[];
  late?: string[];
}

describe('OTEL_RESOURCE_ATTRIBUTES, as exact text and env order', () => {
  it.each<[string, Row]>([
    ['no env: the three downward variables, then the list', { after: [...FIELDS, v(RA, ALL)] }],
    ['the pod value first, ours appended', { env: [v(RA, 'team=a')], after: [...FIELDS, v(RA, `team=a,${ALL}`)] }],
    [
      'a trailing ", " of the pod value dropped before ours',
      { env: [v(RA, 'team=a, ')], after: [...FIELDS, v(RA, `team=a,${ALL}`)] },
    ],
    ['a value of commas and blanks: ours alone', { env: [v(RA, ' , ,')], after: [...FIELDS, v(RA, ALL)] }],
    ['an empty value: ours alone', { env: [v(RA, '')], after: [...FIELDS, v(RA, ALL)] }],
    [
      'a key the pod sets wins, the others appended once each',
      {
        env: [v(RA, 'k8s.namespace.name=mine')],
        after: [...FIELDS, v(RA, `k8s.namespace.name=mine,${ALL.slice('k8s.namespace.name=ns,'.length)}`)],
      },
    ],
    [
      'a pod that sets k8s.pod.name needs no name variable',
      {
        env: [v(RA, 'k8s.pod.name=fixed')],
        after: [UID_VAR, NODE_VAR, v(RA, `k8s.pod.name=fixed,k8s.namespace.name=ns,${AFTER_NAME}`)],
      },
    ],
    [
      'override: our keys replace the pod ones, its other keys stay in place',
      {
        env: [v(RA, 'k8s.namespace.name=mine,team=a,k8s.pod.name=fixed')],
        override: true,
        after: [...FIELDS, v(RA, `team=a,${ALL}`)],
      },
    ],
    [
      'override of a value that only held our keys: no leading comma',
      { env: [v(RA, 'k8s.namespace.name=mine,')], override: true, after: [...FIELDS, v(RA, ALL)] },
    ],
    ['every key already there: the same container', { env: [...FIELDS, v(RA, ALL)] }],
    ['every key there and a trailing comma: left as written', { env: [...FIELDS, v(RA, `${ALL}, `)] }],
    [
      'override, the text already ours but the variables gone: they come back',
      { env: [v(RA, ALL)], override: true, after: [...FIELDS, v(RA, ALL)] },
    ],
    [
      'override, the text already ours but a variable defined differently: replaced',
      { env: [v(NAME, 'x'), UID_VAR, NODE_VAR, v(RA, ALL)], override: true, after: [...FIELDS, v(RA, ALL)] },
    ],
    [
      'resource-attributes setting the container name: ours left out',
      {
        plan: plan({ extra: [{ key: 'k8s.container.name', value: 'gw' }] }),
        after: [
          ...FIELDS,
          v(RA, `${K8S},k8s.pod.uid=$(${UID}),k8s.node.name=$(${NODE}),k8s.deployment.name=aigw,k8s.container.name=gw`),
        ],
      },
    ],
    [
      'the list set from a reference is kept whole',
      { env: [{ name: RA, valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }], kept: [RA] },
    ],
    [
      'override replaces a list set from a reference',
      {
        env: [{ name: RA, valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }],
        override: true,
        after: [...FIELDS, v(RA, ALL)],
      },
    ],
    [
      'the variables go in right before the list, wherever it is',
      {
        env: [v('A', '1'), v(RA, 'x=y'), v('B', '2')],
        after: [v('A', '1'), ...FIELDS, v(RA, `x=y,${ALL}`), v('B', '2')],
      },
    ],
    [
      'a variable the pod defines differently is kept and its attribute left out',
      {
        env: [v(NAME, 'mine')],
        after: [v(NAME, 'mine'), UID_VAR, NODE_VAR, v(RA, `k8s.namespace.name=ns,${AFTER_NAME}`)],
        kept: [NAME],
      },
    ],
    [
      'override replaces a variable the pod defines differently, in place',
      { env: [v(NAME, 'mine')], override: true, after: [NAME_VAR, UID_VAR, NODE_VAR, v(RA, ALL)] },
    ],
    ['an unset variable is filled in place', { env: [v(NAME, '')], after: [NAME_VAR, UID_VAR, NODE_VAR, v(RA, ALL)] }],
    [
      'an exact copy before the list is used as it is',
      { env: [NAME_VAR, v(RA, 'x=y')], after: [NAME_VAR, UID_VAR, NODE_VAR, v(RA, `x=y,${ALL}`)] },
    ],
    [
      'an exact copy after the list cannot be expanded: its attribute is left out',
      {
        env: [v(RA, 'x=y'), NAME_VAR],
        after: [UID_VAR, NODE_VAR, v(RA, `x=y,k8s.namespace.name=ns,${AFTER_NAME}`), NAME_VAR],
        late: [NAME],
      },
    ],
    [
      'resource-attributes win over ours and come last',
      {
        plan: plan({
          extra: [
            { key: 'k8s.pod.name', value: 'p' },
            { key: 'team', value: 'a' },
          ],
        }),
        after: [UID_VAR, NODE_VAR, v(RA, `k8s.namespace.name=ns,${AFTER_NAME},k8s.pod.name=p,team=a`)],
      },
    ],
    [
      'k8s-attributes off: only resource-attributes, no variables',
      { plan: plan({ k8s: undefined, extra: [{ key: 'team', value: 'a' }] }), after: [v(RA, 'team=a')] },
    ],
    ['k8s-attributes off and nothing else: the same container', { plan: plan({ k8s: undefined }) }],
    [
      'no namespace known: no namespace attribute',
      {
        plan: plan({ k8s: { namespace: undefined, workload: undefined } }),
        after: [
          ...FIELDS,
          v(RA, `k8s.pod.name=$(${NAME}),k8s.pod.uid=$(${UID}),k8s.node.name=$(${NODE}),k8s.container.name=aigw`),
        ],
      },
    ],
  ])('%s', (_name, row) => {
    const input = aigw(row.env);
    const before = structuredClone(input);
    const result = withResourceAttributes(input, row.plan ?? plan(), row.override ?? false);
    expect(input, 'the input is not modified').toEqual(before);
    if (row.after === undefined) expect(result.container).toBe(input);
    else expect(result.container).toEqual({ ...input, env: row.after });
    expect(result.kept).toEqual(row.kept ?? []);
    expect(result.late).toEqual(row.late ?? []);
  });
});

const HASH = '6d4b9c7f8d';
const owned = (owners: unknown, labels: Record<string, string> = { 'pod-template-hash': HASH }): Pod => ({
  metadata: { labels, ownerReferences: owners },
  spec: { containers: [] },
});
const owner = (kind: unknown, name: unknown, controller: unknown = true) => ({
  apiVersion: 'apps/v1',
  kind,
  name,
  uid: 'u',
  controller,
});

describe('the workload attribute from the controlling owner', () => {
  it.each<[string, Pod, string | undefined]>([
    ['a Deployment through its ReplicaSet', owned([owner('ReplicaSet', `aigw-${HASH}`)]), `k8s.deployment.name=aigw`],
    [
      'a ReplicaSet whose name does not end in the hash',
      owned([owner('ReplicaSet', 'aigw-abc')]),
      'k8s.replicaset.name=aigw-abc',
    ],
    [
      'a ReplicaSet with the hash but no dash',
      owned([owner('ReplicaSet', `aigw${HASH}`)]),
      `k8s.replicaset.name=aigw${HASH}`,
    ],
    [
      'a ReplicaSet and no hash label',
      owned([owner('ReplicaSet', `aigw-${HASH}`)], {}),
      `k8s.replicaset.name=aigw-${HASH}`,
    ],
    [
      'an empty hash label',
      owned([owner('ReplicaSet', 'aigw-')], { 'pod-template-hash': '' }),
      'k8s.replicaset.name=aigw-',
    ],
    ['a StatefulSet', owned([owner('StatefulSet', 'aigw')]), 'k8s.statefulset.name=aigw'],
    [
      'a StatefulSet whose name ends in the hash label',
      owned([owner('StatefulSet', `aigw-${HASH}`)]),
      `k8s.statefulset.name=aigw-${HASH}`,
    ],
    ['a DaemonSet', owned([owner('DaemonSet', 'aigw')]), 'k8s.daemonset.name=aigw'],
    ['a Job', owned([owner('Job', 'aigw-migrate')]), 'k8s.job.name=aigw-migrate'],
    ['a Deployment as direct owner', owned([owner('Deployment', 'aigw')]), 'k8s.deployment.name=aigw'],
    [
      'the controller among other owners',
      owned([owner('Foo', 'x', false), owner('StatefulSet', 's')]),
      'k8s.statefulset.name=s',
    ],
    ['an owner that is not the controller', owned([owner('StatefulSet', 'aigw', false)]), undefined],
    ['controller: "true" as a string', owned([owner('StatefulSet', 'aigw', 'true')]), undefined],
    ['a kind of no workload', owned([owner('Node', 'n1')]), undefined],
    ['a kind that is an Object property', owned([owner('toString', 'x')]), undefined],
    ['a kind that is not a string', owned([owner(7, 'x')]), undefined],
    ['a name that is not a string', owned([owner('StatefulSet', 7)]), undefined],
    ['an empty name', owned([owner('StatefulSet', '')]), undefined],
    ['no owners', owned([]), undefined],
    ['owners not a list', owned({ kind: 'StatefulSet', name: 's', controller: true }), undefined],
    ['an owner that is null', owned([null, owner('DaemonSet', 'd')]), 'k8s.daemonset.name=d'],
    ['no metadata', { spec: { containers: [] } }, undefined],
  ])('%s', (_name, pod, expected) => {
    const attribute = workloadAttribute(pod);
    expect(attribute && `${attribute.key}=${attribute.value}`).toBe(expected);
  });
});

describe('the pod-wide plan', () => {
  const pod = (namespace?: string): Pod => ({
    metadata: { ...(namespace === undefined ? {} : { namespace }) },
    spec: { containers: [] },
  });
  it.each<[string, Pod, string | undefined, boolean, string | undefined | null]>([
    ['the review namespace', pod('own'), 'review', true, 'review'],
    ['the pod namespace when the review has none', pod('own'), undefined, true, 'own'],
    ['the pod namespace when the review names an empty one', pod('own'), '', true, 'own'],
    ['none at all', pod(''), '', true, undefined],
    ['k8s attributes off', pod('own'), 'review', false, null],
  ])('%s', (_name, p, namespace, k8s, expected) => {
    const extra = [{ key: 'team', value: 'a' }];
    const result = attributePlan(p, namespace, k8s, extra);
    expect(result.extra).toBe(extra);
    if (expected === null) expect(result.k8s).toBeUndefined();
    else expect(result.k8s).toEqual({ namespace: expected, workload: undefined });
  });
});
