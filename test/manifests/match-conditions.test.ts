import { evaluate } from '@marcbachmann/cel-js';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { findTargets } from '../../src/core/targets.js';
import { container, pod } from '../fixtures/pods.js';

const first = (file: string) =>
  parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() as {
    webhooks: { matchConditions: { expression: string }[] }[];
  };
const podCondition =
  first('manifests/base/mutatingwebhookconfiguration.yaml').webhooks[0]?.matchConditions[0]?.expression ?? '';
const nsCondition =
  first('manifests/base/validatingwebhookconfiguration.yaml').webhooks[0]?.matchConditions[0]?.expression ?? '';

const podWith = (images: string[], labels: Record<string, string> = {}) =>
  pod({ labels, containers: images.map((image, i) => container({ name: `c${i}`, image })) });

describe('matchConditions (CEL) send every pod the webhook would change, and leave others out', () => {
  it.each([
    [['private-registry.f5.com/aigw/aigw:v1.1.0'], {}, true],
    [['reg.internal:5000/mirror/aigw@sha256:0123'], {}, true],
    [['reg.internal:5000/mirror/aigw:v1@sha256:0123'], {}, true],
    [['aigw'], {}, true],
    [['localhost:5000/aigw:dev'], {}, true],
    [['private-registry.f5.com/aigw/aigw-processors-f5:v1.1.0'], {}, true],
    [['docker.io/istio/proxyv2:1.24.0', 'ghcr.io/acme/aigw-processor-x:1'], {}, true],
    [['ghcr.io/acme/custom:1'], { 'aigw-otel.io/role': 'core' }, true],
    [['private-registry.f5.com/aigw/processor-labs/prompt-guard:v0.0.1'], {}, true],
    [['private-registry.f5.com/aigw/processor-labs/data-security:v0.0.1'], {}, true],
    [['reg.internal:5000/mirror/aigw/processor-labs/prompt-guard@sha256:0123'], {}, true],
    [['registry.example/processor-labs/prompt-guard:1'], {}, false],
    [['docker.io/library/nginx:1.27'], {}, false],
    [['registry.example/aigw/aigw-cli:1.0'], {}, false],
    [['aigw.example.com/nginx:1'], {}, false],
    [['docker.io/istio/proxyv2:1.24.0'], { app: 'aigw' }, false],
  ])('%j with labels %j → sent: %s', (images, labels, sent) => {
    const p = podWith(images, labels);
    expect(evaluate(podCondition, { object: p })).toBe(sent);
    const targeted = findTargets(p, {}).targets.length > 0;
    if (targeted) expect(sent, 'a pod the webhook would target must be sent').toBe(true);
  });

  it.each([
    [{ 'aigw-otel.io/endpoint': 'https://c:4317' }, true],
    [{ 'example.com/team': 'a' }, false],
    [undefined, false],
  ])('namespaces with annotations %j → sent: %s', (annotations, sent) => {
    const object = { metadata: { name: 'ns', ...(annotations ? { annotations } : {}) } };
    expect(evaluate(nsCondition, { object })).toBe(sent);
  });
});
