import { describe, expect, it } from 'vitest';
import { MAX_ANNOTATIONS_SIZE, podShapeProblem } from '../../src/core/pod.js';
import { corePod, processorPod } from '../fixtures/pods.js';

const spec = (extra: Record<string, unknown> = {}) => ({ containers: [{ name: 'aigw' }], ...extra });
const withContainer = (c: unknown) => ({ spec: { containers: [{ name: 'ok' }, c] } });
const withAnnotations = (annotations: unknown) => ({ metadata: { annotations }, spec: spec() });

const NOT_OBJECT = 'object is not a JSON object';
const METADATA = 'metadata is not an object';
const ANNOTATIONS = 'metadata.annotations is not a map of strings';
const TOO_BIG = 'metadata.annotations exceed the 256 KiB the API server allows';
const LABELS = 'metadata.labels is not a map of strings';
const SPEC = 'spec is missing';
const CONTAINERS = 'spec.containers is not a list of containers';
const INIT = 'spec.initContainers is not a list';
const VOLUMES = 'spec.volumes is not a list of volumes';

describe('the shape a pod must have before it is decided on', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a core pod as the API server sends it', corePod(), undefined],
    ['a processor pod with a sidecar and an init container', processorPod(), undefined],
    ['the least pod: one named container', { spec: spec() }, undefined],
    ['null', null, NOT_OBJECT],
    ['an array', [corePod()], NOT_OBJECT],
    ['a string', 'pod', NOT_OBJECT],
    ['metadata a string', { metadata: 'm', spec: spec() }, METADATA],
    ['metadata an array', { metadata: [], spec: spec() }, METADATA],
    ['metadata null', { metadata: null, spec: spec() }, METADATA],
    ['annotations with a number', withAnnotations({ a: 1 }), ANNOTATIONS],
    ['annotations an array', withAnnotations(['a']), ANNOTATIONS],
    ['annotations null', withAnnotations(null), ANNOTATIONS],
    ['annotations empty', withAnnotations({}), undefined],
    ['annotations of exactly 256 KiB', withAnnotations({ k: 'v'.repeat(MAX_ANNOTATIONS_SIZE - 1) }), undefined],
    ['annotations one unit over 256 KiB', withAnnotations({ k: 'v'.repeat(MAX_ANNOTATIONS_SIZE) }), TOO_BIG],
    [
      'annotations over 256 KiB in keys alone',
      withAnnotations({ ['k'.repeat(MAX_ANNOTATIONS_SIZE / 2)]: '', ['j'.repeat(MAX_ANNOTATIONS_SIZE / 2)]: 'x' }),
      TOO_BIG,
    ],
    ['labels with a boolean', { metadata: { labels: { app: true } }, spec: spec() }, LABELS],
    ['labels a string', { metadata: { labels: 'app=aigw' }, spec: spec() }, LABELS],
    ['labels of strings', { metadata: { labels: { app: 'aigw' } }, spec: spec() }, undefined],
    ['no spec', { metadata: {} }, SPEC],
    ['spec an array', { spec: [] }, SPEC],
    ['no containers', { spec: {} }, CONTAINERS],
    ['containers an object', { spec: { containers: { name: 'aigw' } } }, CONTAINERS],
    ['a container without a name', withContainer({ image: 'aigw' }), CONTAINERS],
    ['a container named by a number', withContainer({ name: 7 }), CONTAINERS],
    ['a container that is null', withContainer(null), CONTAINERS],
    ['an image that is a number', withContainer({ name: 'c', image: 1 }), CONTAINERS],
    ['env an object', withContainer({ name: 'c', env: { A: '1' } }), CONTAINERS],
    ['an env entry without a name', withContainer({ name: 'c', env: [{ value: '1' }] }), CONTAINERS],
    ['an env value that is a number', withContainer({ name: 'c', env: [{ name: 'A', value: 1 }] }), CONTAINERS],
    ['an env entry with valueFrom only', withContainer({ name: 'c', env: [{ name: 'A', valueFrom: {} }] }), undefined],
    ['volumeMounts an object', withContainer({ name: 'c', volumeMounts: {} }), CONTAINERS],
    ['a mount without a path', withContainer({ name: 'c', volumeMounts: [{ name: 'v' }] }), CONTAINERS],
    ['a mount without a name', withContainer({ name: 'c', volumeMounts: [{ mountPath: '/v' }] }), CONTAINERS],
    [
      'a mount path that is a number',
      withContainer({ name: 'c', volumeMounts: [{ name: 'v', mountPath: 1 }] }),
      CONTAINERS,
    ],
    ['initContainers an object', { spec: spec({ initContainers: {} }) }, INIT],
    ['initContainers of anything', { spec: spec({ initContainers: [{}] }) }, undefined],
    ['volumes an object', { spec: spec({ volumes: {} }) }, VOLUMES],
    ['a volume without a name', { spec: spec({ volumes: [{ emptyDir: {} }] }) }, VOLUMES],
    ['a configMap volume that is a string', { spec: spec({ volumes: [{ name: 'v', configMap: 'ca' }] }) }, VOLUMES],
    ['a volume with another source', { spec: spec({ volumes: [{ name: 'v', secret: 'x' }] }) }, undefined],
  ])('%s', (_name, object, problem) => {
    expect(podShapeProblem(object)).toBe(problem);
  });

  it('checks metadata before spec, and annotations before labels', () => {
    expect(podShapeProblem({ metadata: 'm' })).toBe(METADATA);
    expect(podShapeProblem({ metadata: { annotations: 1, labels: 1 } })).toBe(ANNOTATIONS);
    expect(podShapeProblem({ metadata: { labels: 1 } })).toBe(LABELS);
  });
});
