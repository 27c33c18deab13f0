import { describe, expect, it } from 'vitest';
import {
  caMissing,
  classify,
  combine,
  EVENT_NOT_PROBED,
  EVENT_REACHABLE,
  EVENT_UNREACHABLE,
  groupProbes,
  latestProbeOutcome,
  NODE_LOCAL,
  probeEvents,
  probeKey,
  probePlan,
  PROBE_RESULTS,
  type NamespaceProbe,
  type Outcome,
  type ProbeFailure,
  type ProbeTarget,
} from '../../src/core/collector-probe.js';

const a = (k: string) => `aigw-otel.io/${k}`;
/** A target as probePlan makes it: `h2` gRPC over TLS, `tls` OTLP/HTTP over TLS, `tcp` plain http (gRPC). */
const target = (
  endpoint: string,
  host: string,
  port: number,
  mode: 'h2' | 'tls' | 'tcp',
  dialHost = host,
): ProbeTarget => ({
  endpoint,
  host,
  dialHost,
  port,
  tls: mode !== 'tcp',
  grpc: mode !== 'tls',
});
const CA = { configMap: 'collector-ca', key: 'ca.crt' };

describe('probePlan: which endpoints a namespace gives its pods', () => {
  it.each([
    ['no annotations', {}, { kind: 'none' }],
    ['a CA but no endpoint', { [a('ca-configmap')]: 'collector-ca' }, { kind: 'none' }],
    ['injection off', { [a('endpoint')]: 'https://c:4317', [a('inject')]: 'false' }, { kind: 'none' }],
    ['a bad endpoint (skipped as at admission)', { [a('endpoint')]: 'collector:4317' }, { kind: 'none' }],
    [
      'endpoint-host: node',
      { [a('endpoint')]: 'http://agent:4317', [a('endpoint-host')]: 'node' },
      { kind: 'node-local' },
    ],
    [
      'one https endpoint with its CA',
      { [a('endpoint')]: 'https://Collector.obs:4317', [a('ca-configmap')]: 'collector-ca' },
      { kind: 'probe', targets: [target('https://collector.obs:4317', 'collector.obs', 4317, 'h2')], ca: CA },
    ],
    [
      'the CA key named',
      { [a('endpoint')]: 'https://c:4317', [a('ca-configmap')]: 'cm', [a('ca-key')]: 'root.pem' },
      {
        kind: 'probe',
        targets: [target('https://c:4317', 'c', 4317, 'h2', 'c.ai-gateway.svc')],
        ca: { configMap: 'cm', key: 'root.pem' },
      },
    ],
    [
      'https without a CA ConfigMap (public roots)',
      { [a('endpoint')]: 'https://c' },
      { kind: 'probe', targets: [target('https://c:443', 'c', 443, 'h2', 'c.ai-gateway.svc')], ca: undefined },
    ],
    [
      'http: no CA needed even if one is named',
      { [a('endpoint')]: 'http://c', [a('ca-configmap')]: 'collector-ca' },
      { kind: 'probe', targets: [target('http://c:80', 'c', 80, 'tcp', 'c.ai-gateway.svc')], ca: undefined },
    ],
    [
      'traces and metrics apart, the path dropped',
      {
        [a('tracing-endpoint')]: 'https://t:4317/x',
        [a('metrics-endpoint')]: 'http://m:9000',
        [a('ca-configmap')]: 'collector-ca',
      },
      {
        kind: 'probe',
        targets: [
          target('https://t:4317', 't', 4317, 'h2', 't.ai-gateway.svc'),
          target('http://m:9000', 'm', 9000, 'tcp', 'm.ai-gateway.svc'),
        ],
        ca: CA,
      },
    ],
    [
      'one endpoint for both signals is probed once',
      { [a('endpoint')]: 'https://c:4317', [a('metrics-endpoint')]: 'https://c:4317' },
      { kind: 'probe', targets: [target('https://c:4317', 'c', 4317, 'h2', 'c.ai-gateway.svc')], ca: undefined },
    ],
    [
      'http/protobuf: the traces endpoint only (no pod gets the metrics one), TLS without HTTP/2',
      {
        [a('endpoint')]: 'https://c:4318',
        [a('metrics-endpoint')]: 'https://m:4318',
        [a('protocol')]: 'http/protobuf',
      },
      { kind: 'probe', targets: [target('https://c:4318', 'c', 4318, 'tls', 'c.ai-gateway.svc')], ca: undefined },
    ],
    [
      'protocol grpc named',
      { [a('endpoint')]: 'https://c:4317', [a('protocol')]: 'grpc' },
      { kind: 'probe', targets: [target('https://c:4317', 'c', 4317, 'h2', 'c.ai-gateway.svc')], ca: undefined },
    ],
    [
      'an IPv6 host: brackets in the endpoint, not in the host',
      { [a('endpoint')]: 'https://[fd00::7]:4317' },
      { kind: 'probe', targets: [target('https://[fd00::7]:4317', 'fd00::7', 4317, 'h2')], ca: undefined },
    ],
    [
      "a single-label name: dialled in the pod's namespace, verified as written",
      { [a('endpoint')]: 'https://otel-collector:4317' },
      {
        kind: 'probe',
        targets: [target('https://otel-collector:4317', 'otel-collector', 4317, 'h2', 'otel-collector.ai-gateway.svc')],
        ca: undefined,
      },
    ],
    [
      'a name with a dot, localhost and IPv4: dialled as written',
      { [a('tracing-endpoint')]: 'https://otel.observability:4317', [a('metrics-endpoint')]: 'http://localhost:1' },
      {
        kind: 'probe',
        targets: [
          target('https://otel.observability:4317', 'otel.observability', 4317, 'h2'),
          target('http://localhost:1', 'localhost', 1, 'tcp'),
        ],
        ca: undefined,
      },
    ],
    [
      'IPv4',
      { [a('endpoint')]: 'http://10.0.0.7:4317' },
      { kind: 'probe', targets: [target('http://10.0.0.7:4317', '10.0.0.7', 4317, 'tcp')], ca: undefined },
    ],
  ])('%s', (_name, annotations, plan) => {
    expect(probePlan(annotations, 'ai-gateway')).toEqual(plan);
  });
});

describe('probeKey: what decides a result', () => {
  const https = target('https://c:4317', 'c', 4317, 'h2');
  const cases: [string, [ProbeTarget, string | undefined], [ProbeTarget, string | undefined], boolean][] = [
    ['the same endpoint and CA', [https, 'CA1'], [https, 'CA1'], true],
    ['another CA', [https, 'CA1'], [https, 'CA2'], false],
    ['a CA and none', [https, 'CA1'], [https, undefined], false],
    ['HTTP/2 or not', [https, 'CA1'], [{ ...https, grpc: false }, 'CA1'], false],
    ['another endpoint', [https, 'CA1'], [{ ...https, endpoint: 'https://d:4317' }, 'CA1'], false],
    ['the same short name in two namespaces', [https, 'CA1'], [{ ...https, dialHost: 'c.other.svc' }, 'CA1'], false],
    [
      'plain http: two namespaces apart',
      [{ ...https, tls: false }, 'CA1'],
      [{ ...https, tls: false, dialHost: 'x' }, 'CA1'],
      false,
    ],
    ['plain http: the CA does not count', [{ ...https, tls: false }, 'CA1'], [{ ...https, tls: false }, 'CA2'], true],
    [
      'plain http: nor the protocol',
      [{ ...https, tls: false }, 'CA1'],
      [{ ...https, tls: false, grpc: false }, 'CA1'],
      true,
    ],
  ];
  it.each(cases)('%s', (_name, [t1, ca1], [t2, ca2], equal) => {
    expect(probeKey(t1, ca1) === probeKey(t2, ca2)).toBe(equal);
  });

  it('holds a hash of the CA, not the CA', () => {
    const pem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(1000)}\n-----END CERTIFICATE-----`;
    const key = probeKey(https, pem);
    expect(key).not.toContain('AAAA');
    expect(key.length).toBeLessThan(80);
    expect(key).toMatch(/^https:\/\/c:4317 c h2 [0-9a-f]{32}$/);
    expect(probeKey(https, undefined)).toBe('https://c:4317 c h2 system');
    expect(probeKey({ ...https, grpc: false }, undefined)).toBe('https://c:4317 c tls system');
    expect(probeKey({ ...https, tls: false }, pem)).toBe('https://c:4317 c tcp');
  });
});

describe('groupProbes: one probe per (endpoint, CA), however many namespaces', () => {
  const shared = target('https://collector.obs:4317', 'collector.obs', 4317, 'h2');
  const plain = target('http://other:4317', 'other', 4317, 'tcp');

  it('10,000 namespaces with one Collector and one CA: one probe', () => {
    const namespaces: NamespaceProbe[] = Array.from({ length: 10_000 }, (_, i) => ({
      namespace: `gw-${i}`,
      targets: [shared],
      ca: 'the-ca',
    }));
    const { byEndpoint, keysOf } = groupProbes(namespaces);
    const groups = [...byEndpoint.values()].flat();
    expect(groups).toHaveLength(1);
    expect(groups[0]?.namespaces).toHaveLength(10_000);
    expect(groups[0]?.ca).toBe('the-ca');
    expect(keysOf.size).toBe(10_000);
    expect(keysOf.get('gw-9999')).toEqual([groups[0]?.key]);
  });

  it('two CAs for one endpoint: two probes, listed together under it; plain http keeps no CA', () => {
    const { byEndpoint, keysOf } = groupProbes([
      { namespace: 'a', targets: [shared], ca: 'ca-1' },
      { namespace: 'b', targets: [shared, plain], ca: 'ca-2' },
      { namespace: 'c', targets: [plain], ca: undefined },
      { namespace: 'd', targets: [shared], ca: 'ca-1' },
    ]);
    expect([...byEndpoint.keys()]).toEqual(['collector.obs 4317', 'other 4317']);
    const one = byEndpoint.get('collector.obs 4317') ?? [];
    expect(one.map((g) => [g.ca, g.namespaces])).toEqual([
      ['ca-1', ['a', 'd']],
      ['ca-2', ['b']],
    ]);
    const other = byEndpoint.get('other 4317') ?? [];
    expect(other.map((g) => [g.ca, g.namespaces, g.target])).toEqual([[undefined, ['b', 'c'], plain]]);
    expect(keysOf.get('b')).toEqual([one[1]?.key, other[0]?.key]);
    expect(keysOf.get('a')).toEqual(keysOf.get('d'));
  });

  it('nothing to probe: no groups', () => {
    expect(groupProbes([]).byEndpoint.size).toBe(0);
  });
});

describe('combine: a namespace from its endpoints', () => {
  const ok: Outcome = { result: 'ok', reason: 'reachable' };
  const refused: Outcome = { result: 'unreachable', reason: 'connection refused (ECONNREFUSED)' };
  const expired: Outcome = { result: 'tls-expired', reason: 'certificate has expired (CERT_HAS_EXPIRED)' };
  it.each([
    ['all ok', [['https://t:1', ok]], { result: 'ok', reason: 'https://t:1: reachable' }],
    [
      'both ok',
      [
        ['https://t:1', ok],
        ['http://m:2', ok],
      ],
      { result: 'ok', reason: 'https://t:1, http://m:2: reachable' },
    ],
    [
      'the metrics endpoint fails',
      [
        ['https://t:1', ok],
        ['http://m:2', refused],
      ],
      { result: 'unreachable', reason: 'http://m:2: connection refused (ECONNREFUSED)' },
    ],
    [
      'both fail: the traces endpoint first',
      [
        ['https://t:1', expired],
        ['http://m:2', refused],
      ],
      { result: 'tls-expired', reason: 'https://t:1: certificate has expired (CERT_HAS_EXPIRED)' },
    ],
  ] as const)('%s', (_name, each, outcome) => {
    expect(combine(each.map(([endpoint, o]) => ({ endpoint, outcome: o })))).toEqual(outcome);
  });
});

describe('classify: a failed probe to its result', () => {
  it.each<[ProbeFailure, string, string]>([
    [{ stage: 'connect', timedOutMs: 5000 }, 'unreachable', 'no answer within 5000 ms (TCP connect)'],
    [{ stage: 'tls', timedOutMs: 300 }, 'unreachable', 'no answer within 300 ms (TLS handshake)'],
    [{ stage: 'http2', timedOutMs: 1 }, 'unreachable', 'no answer within 1 ms (HTTP/2 preface)'],
    [{ stage: 'http', timedOutMs: 2 }, 'unreachable', 'no answer within 2 ms (HTTP request)'],
    [{ stage: 'connect', code: 'ENOTFOUND' }, 'unreachable', 'name not found (ENOTFOUND)'],
    [{ stage: 'connect', code: 'EAI_AGAIN' }, 'unreachable', 'name not found (EAI_AGAIN)'],
    [{ stage: 'connect', code: 'EAI_NONAME' }, 'unreachable', 'name not found (EAI_NONAME)'],
    [{ stage: 'connect', code: 'EAI_FAIL' }, 'unreachable', 'name not found (EAI_FAIL)'],
    [{ stage: 'connect', code: 'EAI_NODATA' }, 'unreachable', 'name not found (EAI_NODATA)'],
    [{ stage: 'connect', code: 'ECONNREFUSED' }, 'unreachable', 'connection refused (ECONNREFUSED)'],
    [{ stage: 'connect', code: 'EHOSTUNREACH' }, 'unreachable', 'host unreachable (EHOSTUNREACH)'],
    [{ stage: 'connect', code: 'ENETUNREACH' }, 'unreachable', 'network unreachable (ENETUNREACH)'],
    [{ stage: 'connect', code: 'ETIMEDOUT' }, 'unreachable', 'connect timed out (ETIMEDOUT)'],
    [{ stage: 'connect', code: 'ECONNRESET' }, 'unreachable', 'connection reset (ECONNRESET)'],
    [{ stage: 'connect', code: 'EADDRNOTAVAIL' }, 'unreachable', 'address not available (EADDRNOTAVAIL)'],
    // A reset once connected is the server's answer to the handshake, not a network problem.
    [{ stage: 'tls', code: 'ECONNRESET' }, 'failed', 'TLS handshake failed (ECONNRESET)'],
    ...[
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'CERT_SIGNATURE_FAILURE',
      'CERT_UNTRUSTED',
      'INVALID_CA',
    ].map((code): [ProbeFailure, string, string] => [
      { stage: 'tls', code },
      'tls-unknown-authority',
      `certificate not signed by a CA the probe trusts: the CA ConfigMap's, or the public roots without one (${code})`,
    ]),
    [
      { stage: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
      'tls-name-mismatch',
      "certificate does not name the endpoint's host (ERR_TLS_CERT_ALTNAME_INVALID)",
    ],
    [{ stage: 'tls', code: 'CERT_HAS_EXPIRED' }, 'tls-expired', 'certificate has expired (CERT_HAS_EXPIRED)'],
    [{ stage: 'tls', code: 'CERT_NOT_YET_VALID' }, 'tls-expired', 'certificate is not valid yet (CERT_NOT_YET_VALID)'],
    ...[
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
      // OpenSSL 3.5's spelling (Node 24).
      'ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_REQUIRED',
      'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE',
    ].map((code): [ProbeFailure, string, string] => [
      { stage: 'http2', code },
      'client-certificate-required',
      `the Collector requires a client certificate; the injector never reads Secrets, so it cannot present the client-cert-secret (${code})`,
    ]),
    [
      { stage: 'tls', code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' },
      'failed',
      'the endpoint does not speak HTTP/2, so not gRPC (ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL)',
    ],
    [{ stage: 'http2', code: 'NO_ALPN_H2' }, 'failed', 'the endpoint does not speak HTTP/2, so not gRPC (NO_ALPN_H2)'],
    ...['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE'].map(
      (code): [ProbeFailure, string, string] => [
        { stage: 'tls', code },
        'failed',
        `the server refused the handshake: no common protocol or cipher, or a client certificate it requires (${code})`,
      ],
    ),
    // An alert's name only counts in OpenSSL's own codes, after its _ALERT_ part.
    [{ stage: 'tls', code: 'ALERT_HANDSHAKE_FAILURE' }, 'failed', 'TLS handshake failed (ALERT_HANDSHAKE_FAILURE)'],
    [{ stage: 'tls', code: 'ERR_SSL_HANDSHAKE_FAILURE' }, 'failed', 'TLS handshake failed (ERR_SSL_HANDSHAKE_FAILURE)'],
    [
      { stage: 'tls', code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE_X' },
      'failed',
      'TLS handshake failed (ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE_X)',
    ],
    [{ stage: 'http', code: 'ERR_CLOSED_WITHOUT_ANSWER' }, 'failed', 'HTTP request failed (ERR_CLOSED_WITHOUT_ANSWER)'],
    [{ stage: 'connect' }, 'failed', 'TCP connect failed (unknown error)'],
    [{ stage: 'connect', code: 'toString' }, 'failed', 'TCP connect failed (toString)'],
  ])('%j → %s', (failure, result, reason) => {
    expect(classify(failure)).toEqual({ result, reason });
  });

  it('every result it gives is one of the fixed set', () => {
    for (const code of ['ENOTFOUND', 'CERT_HAS_EXPIRED', 'X']) {
      expect(PROBE_RESULTS).toContain(classify({ stage: 'tls', code }).result);
    }
  });
});

describe('caMissing', () => {
  it.each([
    [{ kind: 'missing-configmap' } as const, 'ConfigMap collector-ca not found: pods get no CA, nothing was probed'],
    [{ kind: 'missing-key' } as const, 'ConfigMap collector-ca has no key ca.crt: pods get no CA, nothing was probed'],
  ])('%j', (read, reason) => {
    expect(caMissing(CA, read)).toEqual({ result: 'ca-missing', reason });
  });
  it('the CA is there: nothing missing', () => expect(caMissing(CA, { ca: 'pem' })).toBeUndefined());
});

describe('the names an operator meets', () => {
  // The alert's description, the runbook and `status` name these; renaming one breaks them.
  it('Event reasons', () => {
    expect([EVENT_UNREACHABLE, EVENT_REACHABLE, EVENT_NOT_PROBED]).toEqual([
      'CollectorUnreachable',
      'CollectorReachable',
      'CollectorNotProbed',
    ]);
  });
  it('node-local says why it is not probed', () => {
    expect(NODE_LOCAL).toEqual({
      result: 'not-probed-node-local',
      reason: "endpoint-host: node sends to each pod's own node, which the injector cannot probe from its network",
    });
  });
});

describe('probeEvents: an Event when a result changes', () => {
  const ok: Outcome = { result: 'ok', reason: 'https://c:1: reachable' };
  const bad: Outcome = { result: 'tls-expired', reason: 'https://c:1: certificate has expired' };
  const worse: Outcome = { result: 'tls-expired', reason: 'https://d:1: certificate has expired' };
  const warning = (message: string) => ({ namespace: 'ns', type: 'Warning', reason: EVENT_UNREACHABLE, message });
  it.each<[string, Outcome | undefined, Outcome, object[]]>([
    ['first seen, ok: no news', undefined, ok, []],
    ['first seen, node-local: no news', undefined, NODE_LOCAL, []],
    ['first seen, a problem', undefined, bad, [warning(`tls-expired: ${bad.reason}`)]],
    ['unchanged problem', bad, bad, []],
    ['unchanged ok', ok, ok, []],
    ['same result, another reason', bad, worse, [warning(`tls-expired: ${worse.reason}`)]],
    [
      'same reason, another result',
      bad,
      { ...bad, result: 'tls-name-mismatch' },
      [warning(`tls-name-mismatch: ${bad.reason}`)],
    ],
    ['fixed', bad, ok, [{ namespace: 'ns', type: 'Normal', reason: EVENT_REACHABLE, message: `ok: ${ok.reason}` }]],
    ['broken', ok, bad, [warning(`tls-expired: ${bad.reason}`)]],
    [
      'moved to a node-local Collector',
      bad,
      NODE_LOCAL,
      [
        {
          namespace: 'ns',
          type: 'Normal',
          reason: EVENT_NOT_PROBED,
          message: `not-probed-node-local: ${NODE_LOCAL.reason}`,
        },
      ],
    ],
  ])('%s', (_name, before, now, events) => {
    const previous = new Map(before === undefined ? [] : [['ns', before]]);
    expect(probeEvents(previous, new Map([['ns', now]]))).toEqual(events);
  });

  it('a namespace no longer probed gets no Event; each namespace is judged on its own', () => {
    const previous = new Map([
      ['gone', bad],
      ['a', ok],
    ]);
    const current = new Map([
      ['a', bad],
      ['b', ok],
    ]);
    expect(probeEvents(previous, current).map((e) => e.namespace)).toEqual(['a']);
  });
});

describe('latestProbeOutcome: status reads the result back from the Events', () => {
  const e = (reason: string, message: string, time: string) => ({ reason, message, time });
  it.each([
    ['none', [], undefined],
    ['other Events only', [e('CollectorCAMissing', 'ok: x', '2026-01-01T00:00:00Z')], undefined],
    ['a message not ours', [e(EVENT_UNREACHABLE, 'something: else', '2026-01-01T00:00:00Z')], undefined],
    ['a message without a result', [e(EVENT_UNREACHABLE, 'no colon here', '2026-01-01T00:00:00Z')], undefined],
    // Without ': ' nothing is a result, not even a prefix that spells one.
    ['a result without its separator', [e(EVENT_REACHABLE, 'ok!', '2026-01-01T00:00:00Z')], undefined],
    [
      'a newer one after an older one',
      [
        e(EVENT_UNREACHABLE, 'unreachable: https://c:1: refused', '2026-01-01T00:00:00.000Z'),
        e(EVENT_REACHABLE, 'ok: https://c:1: reachable', '2026-01-02T00:00:00.000Z'),
      ],
      { result: 'ok', reason: 'https://c:1: reachable', since: '2026-01-02T00:00:00.000Z' },
    ],
    [
      'one',
      [e(EVENT_UNREACHABLE, 'tls-expired: https://c:1: certificate has expired', '2026-01-01T00:00:00.000Z')],
      { result: 'tls-expired', reason: 'https://c:1: certificate has expired', since: '2026-01-01T00:00:00.000Z' },
    ],
    [
      'the newest wins, whatever the order',
      [
        e(EVENT_REACHABLE, 'ok: https://c:1: reachable', '2026-01-02T00:00:00.000Z'),
        e(EVENT_UNREACHABLE, 'unreachable: https://c:1: refused', '2026-01-01T00:00:00.000Z'),
        e(EVENT_NOT_PROBED, 'not-probed-node-local: node', '2026-01-01T12:00:00.000Z'),
      ],
      { result: 'ok', reason: 'https://c:1: reachable', since: '2026-01-02T00:00:00.000Z' },
    ],
    [
      'a tie keeps the first',
      [
        e(EVENT_NOT_PROBED, 'not-probed-node-local: node', '2026-01-01T00:00:00.000Z'),
        e(EVENT_REACHABLE, 'ok: https://c:1: reachable', '2026-01-01T00:00:00.000Z'),
      ],
      { result: 'not-probed-node-local', reason: 'node', since: '2026-01-01T00:00:00.000Z' },
    ],
  ])('%s', (_name, events, outcome) => {
    expect(latestProbeOutcome(events)).toEqual(outcome);
  });
});
