import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { checkYaml } from '../../src/cli/check-yaml.js';
import { injectYaml } from '../../src/cli/inject-yaml.js';
import { runCheck, runInject } from '../../src/cli/run.js';

const lookup = () => ({ 'aigw-otel.io/endpoint': 'https://c:4317' });
const job = `apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: gw, image: aigw}]
`;

describe('injectYaml (in process)', () => {
  it('injects a Job and leaves an empty file empty', async () => {
    const r = await injectYaml(job, lookup, 'default');
    expect(r.ok).toBe(true);
    const env: { name: string; value?: string }[] = r.ok
      ? parseAllDocuments(r.value.output)[0]?.toJS().spec.template.spec.containers[0].env
      : [];
    expect(env.filter((e) => e.name.endsWith('_ENDPOINT')).map((e) => e.value)).toEqual([
      'https://c:4317',
      'https://c:4317',
    ]);
    expect(env.find((e) => e.name === 'OTEL_RESOURCE_ATTRIBUTES')?.value).toMatch(
      /^k8s\.namespace\.name=default,.*,k8s\.container\.name=gw,k8s\.job\.name=once$/,
    );
    expect(await injectYaml('', lookup, 'default')).toEqual({ ok: true, value: { output: '', warnings: [] } });
  });

  it('writes what it adds in block style, one value a line, never folded over lines', async () => {
    const flow = job.replace(
      'containers: [{name: gw, image: aigw}]',
      'containers: [{name: gw, image: aigw, env: [{name: A, value: b}]}]',
    );
    const r = await injectYaml(flow, lookup, 'default');
    const output = r.ok ? r.value.output : '';
    expect(output).toMatch(/^ +- name: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT\n +value: https:\/\/c:4317$/m);
    expect(output).toMatch(/^ +- name: OTEL_RESOURCE_ATTRIBUTES_POD_NAME\n +valueFrom:\n +fieldRef:\n/m);
    expect(output).toMatch(
      /^ +value: k8s\.namespace\.name=default,k8s\.pod\.name=\$\(OTEL_RESOURCE_ATTRIBUTES_POD_NAME\),.*,k8s\.job\.name=once$/m,
    );
    expect(output).not.toMatch(/\\$/m);
    expect(output).not.toMatch(/\{ *name: OTEL_/);
  });

  it.each([
    ['a scalar document', 'just words', /document 1: not a Kubernetes object/],
    [
      'a Deployment without a template',
      'kind: Deployment\nmetadata: {name: d}\nspec: {}',
      /document 1 \(Deployment\/d\): spec.template: no pod spec/,
    ],
    ['a Pod without spec', 'kind: Pod\nmetadata: {name: p}', /document 1 \(Pod\/p\): spec: no pod spec/],
    [
      'a pod whose containers are not a list',
      'kind: Pod\nmetadata: {name: p}\nspec: {containers: 3}',
      /spec.containers is not a list/,
    ],
    ['a List item without kind', 'kind: List\nitems: [{metadata: {name: x}}]', /no kind/],
    ['a List item that is not an object', 'kind: List\nitems: [1]', /list item is not an object/],
  ])('refuses %s', async (_name, text, error) => {
    const r = await injectYaml(text, lookup, 'default');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });
});

describe('run (in process)', () => {
  it('reads standard input through the function it is given', async () => {
    const r = await runInject({ command: 'inject', file: '-', annotations: ['endpoint=https://c:4317'] }, () =>
      Promise.resolve(job),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  });

  it.each([
    ['a missing namespaces file', { namespaceFile: 'no/such/file.yaml' }, /--namespace-file no\/such\/file.yaml/],
    [
      'a broken namespaces file',
      { namespaceFile: 'examples/cli/broken.yaml' },
      /document 1: kind ConfigMap is not a Namespace/,
    ],
  ])('exits 1 on %s', async (_name, extra, message) => {
    const r = await runInject({ command: 'inject', file: '-', annotations: [], ...extra }, () => Promise.resolve(job));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('check: a protocol the core cannot use is a warning on stderr, exit 0', async () => {
    const r = await runCheck({ command: 'check', file: '-' }, () =>
      Promise.resolve(
        'kind: Namespace\nmetadata:\n  name: gw\n  annotations:\n    aigw-otel.io/endpoint: https://c:4318\n    aigw-otel.io/protocol: http/protobuf\n',
      ),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('1 namespace(s) checked, no problems\n');
    expect(r.stderr).toMatch(
      /^document 1: namespace gw: warning: aigw-otel.io\/protocol="http\/protobuf": the AI Gateway core exports over gRPC only/,
    );
  });

  it('check: a broken file is invalid input', async () => {
    const r = await runCheck({ command: 'check', file: '-' }, () =>
      Promise.resolve('kind: Namespace\nmetadata: {name: ['),
    );
    expect(r.code).toBe(1);
    expect(checkYaml('kind: Namespace\nmetadata: {}')).toEqual({
      ok: false,
      error: 'document 1: metadata.name is missing',
    });
  });
});
