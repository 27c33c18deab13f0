import { describe, expect, it } from 'vitest';
import { NODE_IP, onNode, withNodeIp } from '../../src/core/node-ip.js';
import type { Container, EnvVar } from '../../src/core/pod.js';

const REF = '$(OTEL_NODE_IP)';
const OURS: EnvVar = { name: NODE_IP, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.hostIP' } } };
const TRACES = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
const METRICS = 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT';
const v = (name: string, value?: string): EnvVar => (value === undefined ? { name } : { name, value });
const onNodeUrl = `https://${REF}:4317`;

describe('an endpoint on the node', () => {
  it.each([
    ['a name and a port', 'https://collector:4317', `https://${REF}:4317`],
    ['a dotted name, no port', 'http://otel.observability.svc', `http://${REF}`],
    ['a name, a port and a path', 'http://collector:4318/v1/traces', `http://${REF}:4318/v1/traces`],
    ['a name and a path, no port', 'https://collector/otlp/v1/traces', `https://${REF}/otlp/v1/traces`],
    ['an IPv4 address', 'https://10.0.0.7:4317', `https://${REF}:4317`],
    ['an IPv6 address in brackets', 'https://[fd00::7]:4317', `https://${REF}:4317`],
    ['an IPv6 address, no port', 'http://[::1]/v1/traces', `http://${REF}/v1/traces`],
    ['upper-case scheme kept as written', 'HTTPS://Collector:4317', `HTTPS://${REF}:4317`],
  ])('%s: %s → %s', (_name, url, expected) => {
    expect(onNode(url)).toBe(expected);
  });
});

interface Row {
  env?: EnvVar[];
  override?: boolean;
  /** The env afterwards; undefined: the very same container object back. */
  after?: EnvVar[];
  kept?: string[];
}

describe('OTEL_NODE_IP before the first reference', () => {
  it.each<[string, Row]>([
    ['no env at all: nothing to do', {}],
    [
      'no reference: nothing to do, even with the variable set',
      { env: [v(TRACES, 'https://c:4317'), v(NODE_IP, 'x')] },
    ],
    ['an escaped-looking value without the reference', { env: [v(TRACES, 'https://$(OTHER):4317')] }],
    [
      'one reference: defined just before it',
      { env: [v('A', '1'), v(TRACES, onNodeUrl)], after: [v('A', '1'), OURS, v(TRACES, onNodeUrl)] },
    ],
    [
      'two references: before the first only',
      {
        env: [v('A', '1'), v(TRACES, onNodeUrl), v('B', '2'), v(METRICS, onNodeUrl)],
        after: [v('A', '1'), OURS, v(TRACES, onNodeUrl), v('B', '2'), v(METRICS, onNodeUrl)],
      },
    ],
    ['ours already before it: the same container back', { env: [OURS, v('A', '1'), v(TRACES, onNodeUrl)] }],
    [
      'ours after it (a pod of old): moved before it',
      { env: [v(TRACES, onNodeUrl), v('A', '1'), OURS], after: [OURS, v(TRACES, onNodeUrl), v('A', '1')] },
    ],
    [
      'an unset one of the pod before it: ours, in the first reference’s place',
      { env: [v(NODE_IP, ''), v('A', '1'), v(TRACES, onNodeUrl)], after: [v('A', '1'), OURS, v(TRACES, onNodeUrl)] },
    ],
    [
      'one with no value at all after it: ours, before it',
      { env: [v(TRACES, onNodeUrl), v(NODE_IP)], after: [OURS, v(TRACES, onNodeUrl)] },
    ],
    ['the pod’s own definition is kept', { env: [v(NODE_IP, '10.1.1.1'), v(TRACES, onNodeUrl)], kept: [NODE_IP] }],
    [
      'the pod’s own definition by reference is kept',
      {
        env: [{ name: NODE_IP, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, v(TRACES, onNodeUrl)],
        kept: [NODE_IP],
      },
    ],
    [
      'override: the pod’s own definition replaced, before the reference',
      {
        env: [v(TRACES, onNodeUrl), v(NODE_IP, '10.1.1.1')],
        override: true,
        after: [OURS, v(TRACES, onNodeUrl)],
      },
    ],
    [
      'override, ours already before it: the same container back',
      { env: [OURS, v(TRACES, onNodeUrl)], override: true },
    ],
    ['its own entry referencing itself is no reference', { env: [v(NODE_IP, `${REF}`), v('A', '1')] }],
    ['nor with override', { env: [v(NODE_IP, `${REF}`)], override: true }],
    [
      'a reference in the pod’s own variable counts too',
      { env: [v('COLLECTOR', `${REF}:4317`)], after: [OURS, v('COLLECTOR', `${REF}:4317`)] },
    ],
  ])('%s', (_name, row) => {
    const container: Container = { name: 'aigw', image: 'aigw:v1', ...(row.env ? { env: row.env } : {}) };
    const before = structuredClone(container);
    const result = withNodeIp(container, row.override ?? false);
    expect(container, 'the input is not modified').toEqual(before);
    if (row.after === undefined) expect(result.container).toBe(container);
    else expect(result.container).toEqual({ ...container, env: row.after });
    expect(result.kept).toEqual(row.kept ?? []);
  });
});
