import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Pod } from '../../src/core/pod.js';
import { review } from '../fixtures/pods.js';
import { startTestInjector, type TestInjector } from '../helpers/injector.js';
import { applyStrict, decodePatch } from '../helpers/pod-checks.js';
import { k8sAttributeEnv } from '../helpers/resource-attributes.js';

/** Runs the built CLI as its own process. */
function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['dist/main.js', ...args], { input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const docs = (text: string): any[] => parseAllDocuments(text).map((d) => d.toJS());
const NAMESPACES = ['--namespace-file', 'examples/namespaces.yaml'];

describe('aigw-otel-injector inject', () => {
  it('configures the core Deployment and keeps comments and key order', () => {
    const { code, stdout, stderr } = cli(['inject', '-f', 'examples/cli/deployment-core.yaml', ...NAMESPACES]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^# The AI Gateway core, as a Helm chart renders it/);
    expect(stdout).toContain('# pinned by the platform team');
    const [deployment] = docs(stdout);
    expect(Object.keys(deployment)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.env).toEqual([
      { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', value: 'https://otel-collector-opentelemetry-collector:4317' },
      { name: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', value: 'https://otel-collector-opentelemetry-collector:4317' },
      { name: 'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE', value: '/etc/collector/ca.crt' },
      { name: 'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE', value: '/etc/collector/ca.crt' },
      { name: 'OTEL_METRIC_EXPORT_INTERVAL', value: '10000' },
      ...k8sAttributeEnv('ai-gateway', 'aigw', 'k8s.deployment.name=aigw'),
    ]);
    expect(deployment.spec.template.metadata.annotations).toEqual({
      'aigw-otel.io/injected': 'core',
      'aigw-otel.io/injected-hash': expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
    });
    expect(deployment.spec.template.spec.volumes.map((v: any) => v.name)).toEqual(['config', 'collector-ca-volume']);
    expect(deployment.metadata).toEqual(docs(readFileSync('examples/cli/deployment-core.yaml', 'utf8'))[0].metadata);
  });

  it("configures the processor, leaves its sidecar alone, honours the template's own annotations", () => {
    const { code, stdout } = cli([
      'inject',
      '-f',
      'examples/cli/deployment-processor.yaml',
      '-a',
      'tracing-endpoint=http://tempo:4317',
    ]);
    expect(code).toBe(0);
    const [input] = docs(readFileSync('examples/cli/deployment-processor.yaml', 'utf8'));
    const [deployment] = docs(stdout);
    const [processor, sidecar] = deployment.spec.template.spec.containers;
    expect(processor.env).toEqual([
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', value: 'http://tempo:4317' },
      { name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_traceidratio' },
      { name: 'OTEL_TRACES_SAMPLER_ARG', value: '0.1' },
      ...k8sAttributeEnv(input.metadata.namespace, 'processor', `k8s.deployment.name=${input.metadata.name}`),
    ]);
    expect(sidecar).toEqual(input.spec.template.spec.containers[1]);
  });

  it("configures a CronJob's job template by its role label, from standard input", () => {
    const { code, stdout } = cli(
      ['inject', '-f', '-', '-a', 'aigw-otel.io/endpoint=https://c:4317'],
      readFileSync('examples/cli/cronjob.yaml', 'utf8'),
    );
    expect(code).toBe(0);
    const [cron] = docs(stdout);
    expect(cron.spec.jobTemplate.spec.template.spec.containers[0].env).toEqual([
      { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', value: 'https://c:4317' },
      ...k8sAttributeEnv('default', 'report'), // a CronJob's Job has no name until it runs
    ]);
  });

  it("keeps a mixed file's documents in order, other kinds unchanged, and warns on stderr", () => {
    const { code, stdout, stderr } = cli([
      'inject',
      '-f',
      'examples/cli/mixed.yaml',
      ...NAMESPACES,
      '-a',
      'metric-export-interval=soon',
    ]);
    expect(code).toBe(0);
    const input = docs(readFileSync('examples/cli/mixed.yaml', 'utf8'));
    const output = docs(stdout);
    expect(output.map((d) => d.kind)).toEqual(input.map((d) => d.kind));
    expect(output[0]).toEqual(input[0]);
    expect(output[1]).toEqual(input[1]);
    const statefulSet = output[2].items[0];
    expect(statefulSet.spec.template.spec.containers[0].env).toEqual([
      { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', value: 'https://otel-collector-opentelemetry-collector:4317' },
      { name: 'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE', value: '/etc/collector/ca.crt' },
      ...k8sAttributeEnv('ai-gateway', 'processor', 'k8s.statefulset.name=aigw-processors-f5'),
    ]);
    expect(output[3].spec.containers[0].env, 'sandbox is not annotated').toBeUndefined();
    expect(stderr).toMatch(
      /^warning: document 3 \(StatefulSet\/aigw-processors-f5\): aigw-otel.io\/metric-export-interval="soon": not a duration/m,
    );
    expect(stdout).toContain('# A bare pod in another namespace');
  });

  it('refuses a broken file with the document number and a reason, printing nothing', () => {
    const { code, stdout, stderr } = cli(['inject', '-f', 'examples/cli/broken.yaml', '-a', 'endpoint=https://c:4317']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/examples\/cli\/broken.yaml: document 2: /);
  });

  it.each([
    [['inject'], /-f FILE/],
    [['inject', '-f', 'x.yaml', '-a', 'no-equals-sign'], /not KEY=VALUE/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['inject', '-f', 'x.yaml', '--colour'], /Unknown option '--colour'/],
    [['check', '-f', 'x.yaml', '-a', 'x=y'], /--annotation is not an option of check/],
  ])('exits 2 on the usage error %j', (args, message) => {
    const { code, stderr } = cli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/Usage: aigw-otel-injector/);
  });

  it('exits 1 when the file cannot be read', () => {
    expect(cli(['inject', '-f', 'does/not/exist.yaml']).code).toBe(1);
  });
});

describe('aigw-otel-injector check', () => {
  it('prints one line per problem and exits 1', () => {
    const { code, stdout } = cli(['check', '-f', 'examples/cli/namespaces-with-typos.yaml']);
    expect(code).toBe(1);
    expect(stdout.trim().split('\n')).toEqual([
      'document 1: namespace ai-gateway: aigw-otel.io/tracing-endpont: unknown annotation, did you mean aigw-otel.io/tracing-endpoint?',
      'document 1: namespace ai-gateway: aigw-otel.io/metric-export-interval="soon": not a duration (e.g. 10000, 500ms, 10s, 1m30s)',
    ]);
  });

  it('exits 0 on valid namespaces, read from standard input', () => {
    const { code, stdout } = cli(['check', '-f', '-'], readFileSync('examples/namespaces.yaml', 'utf8'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/3 namespace\(s\) checked, no problems/);
  });
});

describe('help and version', () => {
  it.each([['inject'], ['check'], ['serve']])('%s --help shows an example', (command) => {
    const { code, stdout } = cli([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`Usage: aigw-otel-injector ${command}`));
    expect(stdout).toMatch(/Example/);
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(cli(['--version']).stdout.trim()).toBe(version);
  });
});

describe('inject and the webhook agree', () => {
  let server: TestInjector;
  beforeAll(async () => {
    server = await startTestInjector(readFileSync('examples/namespaces.yaml', 'utf8'));
  });
  afterAll(() => server.stop());

  it.each([['examples/cli/deployment-core.yaml'], ['examples/cli/deployment-processor.yaml']])(
    'the template %s writes, as a pod, equals what the webhook makes of that pod',
    async (file) => {
      const [input] = docs(readFileSync(file, 'utf8'));
      const [output] = docs(cli(['inject', '-f', file, ...NAMESPACES]).stdout);
      const asPod = (template: any): Pod => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: template.metadata,
        spec: template.spec,
      });
      // The pod as the Deployment's ReplicaSet creates it: owned by `<deployment>-<hash>`, labelled with the hash.
      const hash = '5f6b7c8d9';
      const original = asPod(input.spec.template);
      const created: Pod = {
        ...original,
        metadata: {
          ...original.metadata,
          labels: { ...original.metadata?.labels, 'pod-template-hash': hash },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${input.metadata.name}-${hash}`, controller: true },
          ],
        },
      };
      const res = await server.post(review(created, { namespace: input.metadata.namespace })).expect(200);
      const fromWebhook = applyStrict(created, decodePatch(res.body.response.patch));
      const { labels = {}, ownerReferences: _owner, ...metadata } = fromWebhook.metadata ?? {};
      const { 'pod-template-hash': _hash, ...templateLabels } = labels;
      const asTemplate = { ...fromWebhook, metadata: { ...metadata, labels: templateLabels } };
      expect(asPod(output.spec.template)).toEqual(asTemplate);
      expect(asTemplate).not.toEqual(original);
      const attributes = output.spec.template.spec.containers[0].env.find(
        (e: { name: string }) => e.name === 'OTEL_RESOURCE_ATTRIBUTES',
      );
      expect(attributes.value).toContain(`k8s.deployment.name=${input.metadata.name as string}`);
    },
  );
});
