import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TUNING } from '../../src/namespaces/cluster-source.js';
import { corePod, review } from '../fixtures/pods.js';
import { eventually } from '../helpers/eventually.js';
import { makeCerts, namespacesYaml, startTestInjector } from '../helpers/injector.js';
import { freePort, runMain, waitFor } from '../helpers/process.js';
import { answeredSince, keepSending } from '../helpers/review-client.js';
import { StandInApiServer } from '../helpers/stand-in-apiserver.js';

const body = JSON.stringify(review(corePod()));
// A ceiling for waiting until a review has been answered in a phase: a loaded machine answers one in well under 1 s.
const ANSWERED_MS = 10_000;

const servedFingerprint = (port: number, cas: Buffer[]) =>
  new Promise<string>((resolve) => {
    const s = connect({ host: '127.0.0.1', port, ca: cas, servername: 'localhost' }, () => {
      resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
      s.end();
    });
    s.once('error', () => resolve('error'));
  });

describe('faults under load', () => {
  it('certificate rotated 10 times, namespaces file rewritten, then SIGTERM: no review fails or is half-answered', async () => {
    const certs = makeCerts();
    const file = join(certs.dir, 'namespaces.yaml');
    const writeNamespaces = (i: number) => {
      writeFileSync(
        `${file}.new`,
        namespacesYaml({ 'ai-gateway': { 'aigw-otel.io/endpoint': `https://collector-${i}:4317` } }),
      );
      renameSync(`${file}.new`, file);
    };
    writeNamespaces(0);
    const port = await freePort();
    const run = runMain({
      PORT: String(port),
      ADMIN_PORT: '0',
      NAMESPACES_FILE: file,
      TLS_CERT_FILE: certs.certFile,
      TLS_KEY_FILE: certs.keyFile,
      FILE_POLL_INTERVAL_MS: '200',
    });
    await waitFor(run, '"msg":"serving"');
    // Renewals under the same CA, as cert-manager does them: the API server's caBundle stays valid throughout.
    const cas = [certs.ca];
    const load = keepSending(port, certs.ca, body);

    for (let i = 1; i <= 10; i++) {
      execFileSync('bash', ['certs/generate.sh', '--out', certs.dir, '--reuse-ca', '--quiet']);
      const expected = new X509Certificate(readFileSync(certs.certFile)).fingerprint256;
      await eventually(async () => (await servedFingerprint(port, cas)) === expected, 5000, `rotation ${i} not served`);
      writeNamespaces(i);
      // Reviews went on across this rotation (not a count in a time window: a busy machine answers fewer).
      const servedAt = Date.now();
      await eventually(() => answeredSince(load.result, servedAt) > 0, ANSWERED_MS, `no review after rotation ${i}`);
    }
    await eventually(() => run.stdout().split('namespaces reloaded').length > 5, 5000, 'namespace reloads not seen');

    const signalledAt = Date.now();
    run.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    const result = await load.stop();
    const { code } = await run.exited;

    expect(code).toBe(0);
    expect(result.halfAnswered, 'never a half-answered request').toEqual([]);
    const refusedBefore = result.timeline.filter((t) => t.kind === 'none' && t.at < signalledAt);
    expect(refusedBefore.length, `nothing refused before SIGTERM: ${result.notAnswered.join(', ')}`).toBe(0);
    expect(
      result.notAnswered.every((e) => ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(e) || /socket hang up/.test(e)),
    ).toBe(true);
    expect(run.stdout()).toMatch(/"result":"drained"/);
  });

  describe('the API server cut and brought back', () => {
    const api = new StandInApiServer();
    afterAll(() => api.stop());

    it('does not fail a single review', async () => {
      await api.start();
      api.setNamespace('ai-gateway', { 'aigw-otel.io/endpoint': 'https://c:4317' });
      const server = await startTestInjector(
        undefined,
        {},
        { kubeConfig: api.kubeConfig(), clusterTuning: { ...DEFAULT_TUNING, backoffBaseMs: 20, backoffCapMs: 200 } },
      );
      await eventually(() => server.logs().includes('namespaces listed'));
      const load = keepSending(server.injector.webhookPort, server.certs.ca, body);
      // Reviews answered before the cut, during it (from the cache) and after it: whatever rate the machine allows.
      const answeredFrom = async (since: number, phase: string) =>
        eventually(() => answeredSince(load.result, since) > 0, ANSWERED_MS, `no review answered ${phase}`);
      await answeredFrom(0, 'before the cut');
      await api.goAway();
      const cutAt = Date.now();
      await answeredFrom(cutAt, 'during the cut');
      // The cut lasts a while: the informer's watch fails and backs off meanwhile.
      await new Promise((r) => setTimeout(r, 1000));
      await api.comeBack();
      await eventually(() => server.logs().split('namespaces listed').length > 2 || api.watchCalls() > 1, 5000);
      await answeredFrom(Date.now(), 'after the API server came back');
      const result = await load.stop();
      await server.stop();
      expect(result.halfAnswered).toEqual([]);
      expect(result.notAnswered).toEqual([]);
    });
  });
});
