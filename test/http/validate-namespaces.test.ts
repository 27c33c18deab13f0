import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';

let server: TestInjector;
beforeAll(async () => {
  server = await startTestInjector(namespacesYaml({}));
});
afterAll(() => server.stop());

const namespace = (annotations?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name: 'ai-gateway',
    labels: { 'kubernetes.io/metadata.name': 'ai-gateway' },
    ...(annotations ? { annotations } : {}),
  },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active' },
});

function nsReview(
  annotations: Record<string, string> | undefined,
  extra: Record<string, unknown> = {},
  apiVersion = 'admission.k8s.io/v1',
) {
  return {
    apiVersion,
    kind: 'AdmissionReview',
    request: {
      uid: `ns-${Math.random().toString(16).slice(2)}`,
      kind: { group: '', version: 'v1', kind: 'Namespace' },
      resource: { group: '', version: 'v1', resource: 'namespaces' },
      name: 'ai-gateway',
      operation: 'UPDATE',
      object: namespace(annotations),
      oldObject: namespace(),
      ...extra,
    },
  };
}

const validate = (body: unknown) => server.post(body, '/validate-namespaces?timeout=5s').expect(200);
const p = (key: string) => `aigw-otel.io/${key}`;

describe('validating namespaces: each key, good values admitted', () => {
  it.each([
    ['tracing-endpoint', 'https://otel-collector-opentelemetry-collector:4317'],
    ['metrics-endpoint', 'http://mimir.observability:4317'],
    ['endpoint', 'https://collector:4317'],
    ['endpoint-host', 'node'],
    ['endpoint-host', 'endpoint'],
    ['ca-configmap', 'collector-ca'],
    ['ca-key', 'ca.crt'],
    ['ca-mount-path', '/etc/collector'],
    ['metric-export-interval', '1m30s'],
    ['metric-export-interval', '10000'],
    ['traces-sampler', 'parentbased_always_off'],
    ['traces-sampler-arg', '0.1'],
    ['inject', 'false'],
    ['override', 'true'],
    ['protocol', 'http/protobuf'],
    ['headers-secret', 'collector-auth'],
    ['client-cert-secret', 'collector-mtls'],
    ['client-cert-mount-path', '/etc/mtls'],
    ['headers-secret-key', 'otlp-headers'],
    ['compression', 'gzip'],
    ['export-timeout', '2s'],
    ['resource-attributes', 'team=ai,deployment.environment=prod'],
    ['k8s-attributes', 'false'],
    ['auto-rollout', 'true'],
  ])('%s=%s', async (key, value) => {
    const body = nsReview({ [p(key)]: value });
    const res = await validate(body);
    expect(res.body.response).toEqual({ uid: body.request.uid, allowed: true });
  });
});

describe('validating namespaces: bad values refused, naming the key and why', () => {
  it.each([
    ['tracing-endpoint', 'otel-collector:4317', /tracing-endpoint="otel-collector:4317": (scheme|not a URL)/],
    ['metrics-endpoint', 'grpc://x:4317', /metrics-endpoint="grpc:\/\/x:4317": scheme must be http or https/],
    ['endpoint', 'https://user:pw@x', /endpoint=".*": URL must not carry credentials/],
    ['endpoint-host', 'hostIP', /endpoint-host="hostIP": must be one of endpoint, node$/],
    ['ca-configmap', 'Collector_CA', /ca-configmap="Collector_CA": not a valid name/],
    ['ca-key', 'a/b', /ca-key="a\/b": not a valid key/],
    ['ca-mount-path', 'etc/collector', /ca-mount-path="etc\/collector": must be an absolute path/],
    ['metric-export-interval', 'soon', /metric-export-interval="soon": not a duration/],
    ['metric-export-interval', '0', /greater than zero/],
    ['traces-sampler', 'sometimes', /traces-sampler="sometimes": must be one of always_on/],
    ['traces-sampler-arg', '1.5', /traces-sampler-arg="1.5": must be between 0 and 1/],
    ['inject', 'no', /inject="no": must be "true" or "false"/],
    ['override', 'yes', /override="yes": must be "true" or "false"/],
    ['client-cert-secret', 'mTLS', /client-cert-secret="mTLS": not a valid name/],
    ['client-cert-mount-path', 'mtls', /client-cert-mount-path="mtls": must be an absolute path/],
    ['headers-secret', 'Auth', /headers-secret="Auth": not a valid name/],
    ['headers-secret-key', 'a b', /headers-secret-key="a b": not a valid key/],
    ['protocol', 'grpcs', /protocol="grpcs": must be one of grpc, http\/protobuf$/],
    ['protocol', 'http/json', /protocol="http\/json": http\/json: no AI Gateway SDK exports OTLP\/JSON/],
    ['compression', 'brotli', /compression="brotli": must be one of gzip, none/],
    ['export-timeout', '0ms', /export-timeout="0ms": must be greater than zero/],
    ['resource-attributes', 'team=ai platform', /resource-attributes=".*": value of team must be percent-encoded/],
    ['resource-attributes', 'team', /resource-attributes="team": each entry must be key=value/],
    ['k8s-attributes', 'off', /k8s-attributes="off": must be "true" or "false"/],
    ['auto-rollout', 'yes', /auto-rollout="yes": must be "true" or "false"/],
  ])('%s=%s', async (key, value, message) => {
    const body = nsReview({ [p(key)]: value });
    const { response } = (await validate(body)).body;
    expect(response).toMatchObject({ uid: body.request.uid, allowed: false, status: { code: 400 } });
    expect(response.status.message).toMatch(message);
    expect(response.status.message).toMatch(/^invalid telemetry annotations: /);
  });
});

describe('validating namespaces: keys that do not belong', () => {
  it.each([
    ['tracing-endpont', /tracing-endpont: unknown annotation, did you mean aigw-otel.io\/tracing-endpoint\?/],
    ['metric-interval', /did you mean aigw-otel.io\/metric-export-interval\?|unknown annotation/],
    ['samplr', /unknown annotation/],
    ['ca-config-map', /did you mean aigw-otel.io\/ca-configmap\?/],
    ['container-names', /only valid as a pod annotation/],
    ['injected', /set by the injector on pods/],
    ['config-hash', /set by the injector on pods/],
  ])('%s is refused', async (key, message) => {
    const { response } = (await validate(nsReview({ [p(key)]: 'x' }))).body;
    expect(response.allowed).toBe(false);
    expect(response.status.message).toMatch(message);
  });

  it('names every bad key in one message', async () => {
    const body = nsReview({
      [p('endpoint')]: 'nope',
      [p('traces-sampler')]: 'always_on',
      [p('traces-sampler-arg')]: '0.5',
      [p('tracing-endpont')]: 'x',
    });
    const { message } = (await validate(body)).body.response.status;
    expect(message).toMatch(/endpoint="nope"/);
    expect(message).toMatch(/traces-sampler-arg="0.5": sampler always_on takes no argument/);
    expect(message).toMatch(/tracing-endpont: unknown annotation/);
  });
});

describe('validating namespaces: what is let through', () => {
  it.each([
    ['a namespace without our annotations', nsReview({ 'example.com/team': 'payments' })],
    ['a namespace without annotations at all', nsReview(undefined)],
    ['a DELETE', nsReview({ [p('endpoint')]: 'nope' }, { operation: 'DELETE' })],
    ['another kind', nsReview({ [p('endpoint')]: 'nope' }, { kind: { group: '', version: 'v1', kind: 'ConfigMap' } })],
  ])('%s', async (_name, body) => {
    const res = await validate(body);
    expect(res.body.response).toEqual({ uid: body.request.uid, allowed: true });
  });

  it('on UPDATE, a bad value that was already there is a warning, not a refusal', async () => {
    const bad = { [p('metric-export-interval')]: 'soon' };
    const body = nsReview({ ...bad, 'example.com/owner': 'team-a' }, { oldObject: namespace(bad) });
    const { response } = (await validate(body)).body;
    expect(response.allowed).toBe(true);
    expect(response.warnings).toEqual([
      'aigw-otel.io/metric-export-interval="soon": not a duration (e.g. 10000, 500ms, 10s, 1m30s)',
    ]);
  });

  it.each([
    ['with an endpoint', { [p('endpoint')]: 'https://c:4318', [p('protocol')]: 'http/protobuf' }, true],
    ['without an endpoint (the core keeps its own anyway)', { [p('protocol')]: 'http/protobuf' }, false],
    ['over gRPC', { [p('endpoint')]: 'https://c:4317', [p('protocol')]: 'grpc' }, false],
  ])('a non-gRPC protocol %s is admitted with a warning about the core: %s', async (_n, annotations, warned) => {
    const { response } = (await validate(nsReview(annotations))).body;
    expect(response.allowed).toBe(true);
    expect(response.warnings ?? []).toEqual(
      warned
        ? [
            'aigw-otel.io/protocol="http/protobuf": the AI Gateway core exports over gRPC only; its Helm endpoints stay in force',
          ]
        : [],
    );
  });

  const NODE_TLS =
    "aigw-otel.io/endpoint-host=\"node\": https to the node's IP: the Collector's certificate must name every node's IP";
  it.each([
    ['an https endpoint', { [p('endpoint')]: 'https://c:4317' }, [NODE_TLS]],
    ['an http endpoint', { [p('endpoint')]: 'http://c:4317' }, []],
    ['an HTTPS endpoint in capitals', { [p('endpoint')]: 'HTTPS://c:4317' }, [NODE_TLS]],
    ['an https tracing-endpoint', { [p('tracing-endpoint')]: 'https://c:4317' }, [NODE_TLS]],
    ['an https metrics-endpoint', { [p('metrics-endpoint')]: 'https://c:4317' }, [NODE_TLS]],
    ['no endpoint', {}, []],
    [
      'an https endpoint and a protocol the core cannot use: both warnings',
      { [p('endpoint')]: 'https://c:4318', [p('protocol')]: 'http/protobuf' },
      [
        'aigw-otel.io/protocol="http/protobuf": the AI Gateway core exports over gRPC only; its Helm endpoints stay in force',
        NODE_TLS,
      ],
    ],
  ])(
    'endpoint-host node with %s is admitted, warned where TLS needs every node IP',
    async (_n, annotations, warnings) => {
      const { response } = (await validate(nsReview({ ...annotations, [p('endpoint-host')]: 'node' }))).body;
      expect(response.allowed).toBe(true);
      expect(response.warnings ?? []).toEqual(warnings);
    },
  );

  it('endpoint-host endpoint with an https endpoint: no warning', async () => {
    const body = nsReview({ [p('endpoint-host')]: 'endpoint', [p('endpoint')]: 'https://c:4317' });
    expect((await validate(body)).body.response).toEqual({ uid: body.request.uid, allowed: true });
  });

  it('on UPDATE, changing a value to a bad one is refused', async () => {
    const body = nsReview(
      { [p('metric-export-interval')]: 'later' },
      { oldObject: namespace({ [p('metric-export-interval')]: 'soon' }) },
    );
    expect((await validate(body)).body.response.allowed).toBe(false);
  });

  it('a CREATE with bad values is refused', async () => {
    const body = nsReview({ [p('endpoint')]: 'nope' }, { operation: 'CREATE', oldObject: null });
    expect((await validate(body)).body.response.allowed).toBe(false);
  });
});

describe('validating namespaces: protocol', () => {
  it('echoes v1beta1', async () => {
    const res = await validate(nsReview({ [p('endpoint')]: 'https://x:4317' }, {}, 'admission.k8s.io/v1beta1'));
    expect(res.body.apiVersion).toBe('admission.k8s.io/v1beta1');
  });

  it.each([
    ['not JSON', 'application/json', '{', 400],
    ['no uid', 'application/json', JSON.stringify({ ...nsReview(undefined), request: { operation: 'CREATE' } }), 400],
    ['text/plain', 'text/plain', '{}', 415],
    ['over 7 MiB', 'application/json', JSON.stringify(nsReview({ big: 'x'.repeat(7.5 * 1024 * 1024) })), 413],
  ])('refuses %s', async (_name, type, body, status) => {
    await request(server.url)
      .post('/validate-namespaces')
      .ca(server.certs.ca)
      .set('Content-Type', type)
      .send(body)
      .expect(status);
  });
});
