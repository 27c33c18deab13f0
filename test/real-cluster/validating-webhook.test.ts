/**
 * Issue 19, scenario 3: the validating webhook for namespaces, installed from our manifests and called by the real
 * API server for `kubectl annotate`. Bad new values are denied with our message and leave the namespace as it was;
 * problems that were already there, and a protocol the core cannot use, come back as kubectl warnings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInjector, type RunningInjector } from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { GATEWAY_ANNOTATIONS } from './fixtures.js';

const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');
const DENIED =
  'Error from server (BadRequest): admission webhook "namespaces.aigw-otel.io" denied the request: invalid telemetry annotations:';
const TYPO = 'aigw-otel.io/tracing-endpont';

// [case, namespace, annotation, allowed, what kubectl prints on stderr, all of it]
const CASES: [string, string, string, boolean, string][] = [
  [
    'a bad value is denied',
    'ai-gateway',
    'aigw-otel.io/metric-export-interval=soon',
    false,
    `${DENIED} aigw-otel.io/metric-export-interval="soon": not a duration (e.g. 10000, 500ms, 10s, 1m30s)`,
  ],
  [
    'a new typo is denied with the nearest key',
    'ai-gateway',
    `${TYPO}=https://collector:4317`,
    false,
    `${DENIED} ${TYPO}: unknown annotation, did you mean aigw-otel.io/tracing-endpoint?`,
  ],
  [
    'a typo made before the webhook existed comes back as a warning on the next change',
    'legacy',
    'aigw-otel.io/metric-export-interval=10s',
    true,
    `Warning: ${TYPO}: unknown annotation, did you mean aigw-otel.io/tracing-endpoint?`,
  ],
  [
    'a protocol the core cannot use is a warning',
    'ai-gateway',
    'aigw-otel.io/protocol=http/protobuf',
    true,
    'Warning: aigw-otel.io/protocol="http/protobuf": the AI Gateway core exports over gRPC only; its Helm endpoints stay in force',
  ],
];

describe.skipIf(!real)('the validating webhook, called by the real API server', () => {
  let cp: ControlPlane;
  let injector: RunningInjector | undefined;
  const annotationsOf = async (ns: string) =>
    (await cp.getJson(['get', 'namespace', ns])).metadata.annotations as Record<string, string>;

  beforeAll(async () => {
    cp = await startControlPlane();
    console.info(`control plane ready in ${cp.startupMs} ms`);
    // Annotated before the webhook is installed: the typo gets in, as on a cluster that predates the injector.
    await cp.kubectl(['create', 'namespace', 'legacy']);
    await cp.kubectl(['annotate', 'namespace', 'legacy', `${TYPO}=https://collector:4317`]);
    const install = await installInjector(cp);
    injector = await install.startInjector();
    await install.waitForWebhooks(injector);
    const annotations = Object.entries(GATEWAY_ANNOTATIONS).map(([k, v]) => `${k}=${v}`);
    await cp.kubectl(['create', 'namespace', 'ai-gateway']);
    await cp.kubectl(['annotate', 'namespace', 'ai-gateway', ...annotations]);
  }, 240_000);

  afterAll(async () => {
    await injector?.stop();
    await cp?.stop();
  }, 60_000);

  it.each(CASES)('%s', async (_case, namespace, setting, allowed, printed) => {
    const before = await annotationsOf(namespace);
    const result = await cp.kubectl(['annotate', '--overwrite', 'namespace', namespace, setting], {
      allowFailure: true,
    });
    expect(result.code).toBe(allowed ? 0 : 1);
    expect(result.stderr.trim().split('\n')).toEqual([printed]);
    const after = await annotationsOf(namespace);
    const [key = '', value] = setting.split('=');
    if (allowed) expect(after).toEqual({ ...before, [key]: value });
    else expect(after, 'the namespace is unchanged').toEqual(before);
    const review = injector?.reviews().findLast((r) => r.webhook === 'validate-namespaces' && r.name === namespace);
    expect(review).toMatchObject({ operation: 'UPDATE', reason: allowed ? 'valid' : 'invalid' });
  });

  it('a denial carries the warnings for problems already there, printed before the error', async () => {
    const result = await cp.kubectl(
      ['annotate', '--overwrite', 'namespace', 'ai-gateway', 'aigw-otel.io/traces-sampler-arg=1.5'],
      { allowFailure: true },
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'Warning: aigw-otel.io/protocol="http/protobuf": the AI Gateway core exports over gRPC only; its Helm endpoints stay in force',
      `${DENIED} aigw-otel.io/traces-sampler-arg="1.5": must be between 0 and 1`,
    ]);
  });
});
