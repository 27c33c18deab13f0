/**
 * Issue 19, scenario 10: rotating the serving certificate and the webhooks' `caBundle` while pods are being created.
 * With `failurePolicy: Ignore` a call the API server cannot make (a certificate it does not trust) is silent: the pod
 * is stored unconfigured. So the test counts configured pods: every pod created during the rotation must be.
 *
 * Two rotations, as the README's runbook and cert-manager do them: the serving certificate renewed under the same CA
 * (the files replaced; the injector reloads them), and a new CA (the caBundle first carries both CAs, then the new
 * certificate is served, then the caBundle carries only the new CA). The API server takes a new caBundle into use
 * with a new client, so a connection it had not opened before shows that it has. The API server keeps connections
 * alive, and one opened before the new certificate keeps the old TLS session: after each step, bursts of creates make
 * it open new connections, so the certificate served then is what it has to trust. (Without the both-CAs step the
 * burst's pods are stored unconfigured, and this test fails: checked by hand.)
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInjector, type ClusterInstall, type RunningInjector } from '../helpers/cluster-install.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { eventually } from '../helpers/eventually.js';
import { haveRealParts } from '../helpers/real-parts.js';
import { REACT_MS, START_MS, STOP_MS } from '../helpers/real-timeouts.js';
import { logLines, startReplica } from '../helpers/real-injector.js';
import {
  fileFingerprint,
  newServingCertificate,
  peersOf,
  podStream,
  servedFingerprint,
  type PodStream,
} from '../helpers/real-pod-stream.js';
import { barePod, CORE_IMAGE, gatewayNamespace } from './fixtures.js';

const real = haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd');
const NS = 'ai-gateway';
// Pods created after the last step of a rotation, so the API server's calls with the final state are counted too.
const PODS_AFTER = 5;
// Concurrent creates: more than the one or two connections a sequential stream keeps busy, so the API server dials.
const BURST = 8;
const RELOADED = 'serving certificate reloaded';
// A rotation waits on up to three reactions (two caBundle changes, a reload) of REACT_MS at most.
const ROTATION_MS = 3 * REACT_MS;
const CASES = [
  { case: 'the serving certificate renewed under the same CA', newCa: false },
  { case: 'a new CA: caBundle with both CAs, the new certificate, then the new CA only', newCa: true },
];

describe.skipIf(!real)('certificate rotation while pods are created', { timeout: ROTATION_MS }, () => {
  let cp: ControlPlane;
  let install: ClusterInstall;
  let injector: RunningInjector | undefined;
  let stream: PodStream | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'aigw-rotation-'));
  const live = { certFile: join(dir, 'live', 'tls.crt'), keyFile: join(dir, 'live', 'tls.key') };
  let caPem = '';

  /** Sets both webhooks' caBundle and waits until the API server calls ours over a connection new since. */
  async function setCaBundle(pem: string): Promise<void> {
    const before = peersOf(install.webhookPort);
    const value = Buffer.from(pem).toString('base64');
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const patch = JSON.stringify([{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value }]);
      await cp.kubectl(['patch', kind, 'aigw-otel-injector', '--type=json', '-p', patch]);
    }
    await eventually(
      () => [...peersOf(install.webhookPort)].some((p) => !before.has(p)),
      REACT_MS,
      'the API server opened no new connection to the webhook after the caBundle change',
    );
  }

  /** Until the API server calls the webhook over a connection it opened since: bursts of creates make it dial. */
  async function newConnection(): Promise<void> {
    const before = peersOf(install.webhookPort);
    await eventually(
      async () => {
        await stream!.burst(BURST);
        return [...peersOf(install.webhookPort)].some((p) => !before.has(p));
      },
      REACT_MS,
      'the API server opened no new connection to the webhook',
    );
  }

  /** Replaces the served files (key first, as a Secret volume update lands) and waits for the reload. */
  async function serve(next: { certFile: string; keyFile: string }): Promise<void> {
    const reloads = logLines(injector!, RELOADED).length;
    copyFileSync(next.keyFile, live.keyFile);
    copyFileSync(next.certFile, live.certFile);
    // The injector polls its files every 2 s (FILE_POLL_INTERVAL_MS); a loaded machine may take several polls.
    await eventually(() => logLines(injector!, RELOADED).length > reloads, 30_000, 'certificate not reloaded');
    expect(await servedFingerprint(install.webhookPort)).toBe(fileFingerprint(next.certFile));
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    install = await installInjector(cp);
    cpSync(dirname(install.tls.certFile), join(dir, 'live'), { recursive: true });
    caPem = readFileSync(join(dir, 'live', 'ca.crt'), 'utf8');
    injector = await startReplica(install, {
      hostname: 'aigw-otel-injector-test-0',
      env: { TLS_CERT_FILE: live.certFile, TLS_KEY_FILE: live.keyFile },
    });
    await install.waitForWebhooks(injector);
    await gatewayNamespace(cp, NS);
  }, START_MS);

  afterAll(async () => {
    await stream?.stop();
    await injector?.stop();
    await cp?.stop();
  }, STOP_MS);

  it.each(CASES)('$case: every pod created meanwhile is configured', async ({ newCa }) => {
    const label = newCa ? 'new-ca' : 'same-ca';
    stream = podStream(cp, NS, (i) =>
      barePod(`${label}-${i}`, NS, [{ name: 'aigw', image: CORE_IMAGE }], { rotation: label }),
    );
    const next = newServingCertificate(join(dir, label), newCa ? undefined : join(dir, 'live'));
    if (newCa) await setCaBundle(caPem + next.caPem);
    await serve(next);
    await newConnection();
    if (newCa) await setCaBundle(next.caPem);
    caPem = next.caPem;
    const last = stream.created();
    await eventually(() => stream!.created() >= last + PODS_AFTER, REACT_MS, 'pods stopped being created');
    await stream.stop();
    expect(stream.errors()).toEqual([]);

    const pods = (await cp.getJson(['-n', NS, 'get', 'pods', '-l', `rotation=${label}`])).items as any[];
    expect(pods.length).toBe(stream.created());
    const unconfigured = pods.filter((p) => p.metadata.annotations?.['aigw-otel.io/injected'] !== 'core');
    expect(unconfigured.map((p) => p.metadata.name)).toEqual([]);
  });
});
