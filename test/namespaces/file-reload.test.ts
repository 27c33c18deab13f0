import { renameSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corePod, review } from '../fixtures/pods.js';
import { namespacesYaml, startTestInjector, type TestInjector } from '../helpers/injector.js';
import { applyStrict, decodePatch, otelEnv } from '../helpers/pod-checks.js';

let server: TestInjector;
beforeAll(async () => {
  server = await startTestInjector(namespacesYaml({ 'ai-gateway': { 'aigw-otel.io/endpoint': 'http://first:4317' } }));
});
afterAll(() => server.stop());

async function tracesEndpoint(): Promise<string | undefined> {
  const input = corePod();
  const res = await server.post(review(input)).expect(200);
  return otelEnv(applyStrict(input, decodePatch(res.body.response.patch)), 'aigw').OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
}

async function eventually(check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Replace the file in one rename, as a ConfigMap volume or an editor does. */
function replaceFile(text: string) {
  writeFileSync(`${server.namespacesFile}.new`, text);
  renameSync(`${server.namespacesFile}.new`, server.namespacesFile);
}

describe('standalone namespaces file', () => {
  it('applies a change within a few seconds, without a restart', async () => {
    expect(await tracesEndpoint()).toBe('http://first:4317');
    replaceFile(namespacesYaml({ 'ai-gateway': { 'aigw-otel.io/endpoint': 'http://second:4317' } }));
    await eventually(async () => (await tracesEndpoint()) === 'http://second:4317');
  });

  it('keeps the last good state when the file breaks, and logs an error', async () => {
    const good = await tracesEndpoint();
    replaceFile('kind: Namespace\nmetadata: {name: [');
    await eventually(() => Promise.resolve(server.logs().includes('namespaces file not reloaded')));
    expect(await tracesEndpoint()).toBe(good);
    const line =
      server
        .logs()
        .split('\n')
        .find((l) => l.includes('namespaces file not reloaded')) ?? '';
    expect(JSON.parse(line)).toMatchObject({ level: 50, err: expect.stringMatching(/document 1/) });
  });
});
