import { describe, expect, it } from 'vitest';
import type { Pod } from '../../src/core/pod.js';
import { findTargets, imageName } from '../../src/core/targets.js';
import { container, CORE_IMAGE, ISTIO_IMAGE, pod, PROCESSOR_IMAGE } from '../fixtures/pods.js';

const ROLE = 'aigw-otel.io/role';
const NAMES = 'aigw-otel.io/container-names';
const three = (labels: Record<string, string> = {}): Pod =>
  pod({
    labels,
    initContainers: [container({ name: 'init', image: CORE_IMAGE })],
    containers: [
      container({ name: 'gw', image: 'registry.example/acme/gateway:1' }),
      container({ name: 'proc', image: PROCESSOR_IMAGE }),
      container({ name: 'mesh', image: ISTIO_IMAGE }),
    ],
  });

describe('image names', () => {
  it.each([
    ['registry:/aigw', 'aigw'],
    ['registry:5000/aigw:v1', 'aigw'],
  ])('%j → %j', (image, name) => expect(imageName(image)).toBe(name));
});

describe('which containers are configured, and as what', () => {
  it.each<[string, Pod, readonly string[] | undefined, string[], string[]]>([
    ['by image: the processor only; init containers never', three(), undefined, ['1 proc processor'], []],
    [
      'by image: core and processor',
      pod({
        containers: [container({ name: 'a', image: CORE_IMAGE }), container({ name: 'p', image: PROCESSOR_IMAGE })],
      }),
      undefined,
      ['0 a core', '1 p processor'],
      [],
    ],
    ['a container without an image', pod({ containers: [{ name: 'x' }] }), undefined, [], []],
    [
      'the role label: every regular container',
      three({ [ROLE]: 'core' }),
      undefined,
      ['0 gw core', '1 proc core', '2 mesh core'],
      [],
    ],
    ['the role label narrowed by names', three({ [ROLE]: 'processor' }), ['gw'], ['0 gw processor'], []],
    [
      'names in another order keep the pod order',
      three({ [ROLE]: 'core' }),
      ['mesh', 'gw'],
      ['0 gw core', '2 mesh core'],
      [],
    ],
    [
      'a name no regular container has',
      three({ [ROLE]: 'core' }),
      ['gw', 'init', 'nope'],
      ['0 gw core'],
      [`${NAMES}=init: no regular container has this name`, `${NAMES}=nope: no regular container has this name`],
    ],
    [
      'a bad role label falls back to images',
      three({ [ROLE]: 'gateway' }),
      undefined,
      ['1 proc processor'],
      [`${ROLE}=gateway: label must be core or processor; using images`],
    ],
    [
      'names without the label are ignored',
      three(),
      ['gw'],
      ['1 proc processor'],
      [`${NAMES}: ignored without the aigw-otel.io/role label`],
    ],
    [
      'a bad label and names: both said',
      three({ [ROLE]: 'Core' }),
      ['gw'],
      ['1 proc processor'],
      [
        `${ROLE}=Core: label must be core or processor; using images`,
        `${NAMES}: ignored without the aigw-otel.io/role label`,
      ],
    ],
  ])('%s', (_name, p, names, targets, problems) => {
    const result = findTargets(p, names === undefined ? {} : { 'container-names': names });
    expect(result.targets.map((t) => `${t.index} ${t.name} ${t.role}`)).toEqual(targets);
    expect(result.problems.map((x) => `${x.key}${x.value === undefined ? '' : `=${x.value}`}: ${x.message}`)).toEqual(
      problems,
    );
  });
});
