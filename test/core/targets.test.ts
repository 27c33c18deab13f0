import { describe, expect, it } from 'vitest';
import { imageName, roleOfImage } from '../../src/core/targets.js';

describe('role from the image', () => {
  it.each([
    ['private-registry.f5.com/aigw/aigw:v1.1.0', 'aigw', 'core'],
    ['aigw', 'aigw', 'core'],
    ['aigw:latest', 'aigw', 'core'],
    ['reg.internal:5000/mirror/aigw@sha256:0123abcd', 'aigw', 'core'],
    ['reg.internal:5000/mirror/aigw:v1.1.0@sha256:0123abcd', 'aigw', 'core'],
    ['localhost:5000/aigw', 'aigw', 'core'],
    ['private-registry.f5.com/aigw/aigw-processors-f5:v1.1.0', 'aigw-processors-f5', 'processor'],
    ['ghcr.io/acme/aigw-processor-custom:1', 'aigw-processor-custom', 'processor'],
    ['private-registry.f5.com/aigw/AIGW:v1', 'aigw', 'core'],
    ['private-registry.f5.com/aigw/aigw-cli:1', 'aigw-cli', undefined],
    ['docker.io/istio/proxyv2:1.24.0', 'proxyv2', undefined],
    ['aigw.example.com/nginx:1', 'nginx', undefined],
    ['private-registry.f5.com/aigw/processor-labs/prompt-guard:v0.0.1', 'prompt-guard', 'processor'],
    ['private-registry.f5.com/aigw/processor-labs/data-security:v0.0.1', 'data-security', 'processor'],
    ['reg.internal:5000/mirror/aigw/processor-labs/prompt-guard@sha256:0123', 'prompt-guard', 'processor'],
    ['registry.example/processor-labs/prompt-guard:1', 'prompt-guard', undefined],
    ['private-registry.f5.com/aigw/processor-labs:v1', 'processor-labs', undefined],
    ['', '', undefined],
  ])('%j is %j → %s', (image, name, role) => {
    expect(imageName(image)).toBe(name);
    expect(roleOfImage(image)).toBe(role);
  });
});
