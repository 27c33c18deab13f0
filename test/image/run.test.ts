/**
 * Our image (test/real/parts/60-image.sh) run by a real container engine (Debian's dockerd, private to this file)
 * as the chart runs it: read-only root, 65532:65532 with fsGroup 65532 among its groups, all capabilities dropped,
 * no privilege escalation, the chart's memory and CPU limits and env, the TLS Secret written as the kubelet writes
 * it (root-owned 0440, group 65532) — in standalone mode, with examples/namespaces.yaml mounted the same way.
 *
 * --network host: the daemon has no bridge (it must not change the machine's network), so the server binds the
 * host's loopback; PORT and ADMIN_PORT are 0 (the kernel picks free ones, read from its "serving" log line) so
 * parallel tests cannot collide, where the chart's 8443 and 9090 are the image's EXPOSE (test/image/contents).
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { execFileSync } from 'node:child_process';
import jsonpatch from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunDocker, startDockerDaemon, type DockerDaemon } from '../harness/image/docker-daemon.js';
import {
  chartEnv,
  chartPod,
  NAMESPACES_DIR,
  securityFlags,
  writeVolumes,
  type Volumes,
} from '../harness/image/run-as-chart.js';
import { runOnDeath } from '../harness/process/spawn.js';
import { haveRealParts, realPaths } from '../helpers/real-parts.js';

const IMAGE = 'aigw-otel-injector:dev';
const KEY_PATH = '/etc/aigw-otel-injector/tls/tls.key';
const CERT_PATH = '/etc/aigw-otel-injector/tls/tls.crt';
// The chart's terminationGracePeriodSeconds: the kubelet SIGKILLs after it.
const GRACE_S = Number(
  /terminationGracePeriodSeconds: (\d+)/.exec(readFileSync('manifests/base/deployment.yaml', 'utf8'))?.[1],
);
// A loaded two-core machine: the daemon, `docker load` of ~200 MB and the first container start, from their start.
const SETUP_MS = 180_000;
// From `docker run` to the "serving" line: node's start-up inside a container on a loaded machine.
const START_MS = 30_000;
// The server polls its files every 2 s (FILE_POLL_INTERVAL_MS default); a few polls on a loaded machine.
const RELOAD_MS = 15_000;

const needsImage = haveRealParts('injectorImage');
if (needsImage && !canRunDocker) {
  const how = 'no dockerd (Debian docker.io) or not root: test/real/parts/60-image.sh installs it';
  if (process.env.CI === 'true') throw new Error(`CI=true: ${how}`);
  console.warn(`skipping: ${how}`);
}

const pod = chartPod('aigw-otel-injector-image-test', 'aigw-otel-injector');

/** A temporary folder, removed by the returned function, or by the lifeline if the test process dies first. */
function tempDir(prefix: string): [string, () => void] {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const forget = runOnDeath(`rm -rf '${dir}'`);
  return [
    dir,
    () => {
      rmSync(dir, { recursive: true, force: true });
      forget();
    },
  ];
}

function makeCerts(dir: string, reuseCa = false) {
  execFileSync('bash', ['certs/generate.sh', '--out', dir, '--quiet', ...(reuseCa ? ['--reuse-ca'] : [])]);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { 'tls.crt': read('tls.crt'), 'tls.key': read('tls.key'), ca: read('ca.crt') };
}

/** The review the README's curl example posts, and the pod it carries. */
const review = readFileSync('examples/review-core-pod.json', 'utf8');
const reviewedPod = (JSON.parse(review) as { request: { object: object } }).request.object;

/** The patch the README shows for that review (the JSON block after the curl example). */
function readmePatch(): jsonpatch.Operation[] {
  const readme = readFileSync('README.md', 'utf8');
  const after = readme.slice(readme.indexOf('--data @examples/review-core-pod.json'));
  return JSON.parse(/```json\n([\s\S]*?)\n```/.exec(after)?.[1] ?? '[]') as jsonpatch.Operation[];
}

const applied = (patch: jsonpatch.Operation[]) =>
  jsonpatch.applyPatch(structuredClone(reviewedPod), patch, true, false).newDocument as {
    metadata: { annotations?: Record<string, string> };
    spec: {
      containers: { name: string; env?: { name: string; value?: string }[]; volumeMounts?: { name: string }[] }[];
      volumes: { name: string; configMap?: { name: string } }[];
    };
  };

/** POSTs a review over TLS; `hold` (if given) is awaited after the headers and half the body went out. */
function postReview(
  port: number,
  ca: string,
  hold?: () => Promise<void>,
): Promise<{ status: number; body: string; continued: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    let raw = '';
    let continued = false;
    const half = Math.floor(review.length / 2);
    socket.on('error', reject);
    socket.on('secureConnect', () => {
      // Expect: 100-continue makes the server say when it has read the headers: from then on the review is in flight.
      socket.write(
        `POST /mutate-pods?timeout=10s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(review)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n` +
          review.slice(0, half),
      );
    });
    socket.on('data', (d: Buffer) => {
      raw += d.toString();
      if (!continued && raw.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        continued = true;
        raw = raw.slice('HTTP/1.1 100 Continue\r\n\r\n'.length);
        void (hold ?? (() => Promise.resolve()))().then(() => socket.write(review.slice(half)), reject);
      }
    });
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(raw)?.[1] ?? 0);
      resolve({ status, body: raw.slice(raw.indexOf('\r\n\r\n') + 4), continued });
    });
  });
}

/** The serial number of the certificate a new TLS connection is served. */
function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()?.serialNumber ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe.runIf(needsImage && canRunDocker)('our image run as the chart runs it', () => {
  let daemon: DockerDaemon;
  let certs: string;
  let removeCerts: (() => void) | undefined;
  let tls: ReturnType<typeof makeCerts>;
  let volumes: Volumes;
  let ports: { webhook: number; admin: number };
  const name = `aigw-image-test-${process.pid}`;
  const namespacesYaml = readFileSync('examples/namespaces.yaml', 'utf8');
  const standalone = { NAMESPACES_FILE: `${NAMESPACES_DIR}/namespaces.yaml` };

  /** Starts a container of the image (its own CMD) with these flags and env. */
  async function run(container: string, network: string, flags: string[], env: Record<string, string>) {
    const envFlags = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await daemon.docker(['run', '--detach', '--name', container, '--network', network, ...flags, ...envFlags, IMAGE]);
  }

  /** The first log line that matches, polled until the container stops running or `ms` pass. */
  async function logUntil(container: string, match: (line: string) => boolean, ms: number): Promise<string> {
    const deadline = Date.now() + ms;
    while (true) {
      const log = await daemon.logs(container);
      const line = log.split('\n').find(match);
      if (line !== undefined) return line;
      const state = await daemon.docker(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', container]);
      if (!state.startsWith('running') || Date.now() > deadline) {
        throw new Error(`${container}: ${state.trim()} without the expected line; log:\n${log}`);
      }
      // Poll interval, not an assertion.
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  beforeAll(async () => {
    daemon = await startDockerDaemon();
    await daemon.docker(['load', '--input', realPaths.injectorImage], { timeoutMs: SETUP_MS });
    [certs, removeCerts] = tempDir('aigw-image-certs-');
    tls = makeCerts(certs);
    volumes = writeVolumes(tls, namespacesYaml, pod);
    await run(name, 'host', [...securityFlags(), ...volumes.flags], {
      ...chartEnv(pod),
      ...standalone,
      PORT: '0',
      ADMIN_PORT: '0',
      HOSTNAME: pod.name,
    });
    const serving = JSON.parse(await logUntil(name, (l) => l.includes('"msg":"serving"'), START_MS)) as {
      webhookPort: number;
      adminPort: number;
    };
    ports = { webhook: serving.webhookPort, admin: serving.adminPort };
  }, SETUP_MS);

  afterAll(async () => {
    await daemon?.docker(['rm', '--force', name]).catch(() => undefined);
    await daemon?.stop();
    volumes?.remove();
    removeCerts?.();
  }, 60_000);

  it('runs as uid 65532, gid 65532 with fsGroup 65532 among its groups, on a read-only root', async () => {
    const inspect = JSON.parse(await daemon.docker(['inspect', name]))[0] as {
      Config: { User: string };
      HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[]; GroupAdd: string[]; SecurityOpt: string[] };
    };
    expect(inspect.Config.User).toBe('65532:65532');
    expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
    expect(inspect.HostConfig.CapDrop).toEqual(['ALL']);
    expect(inspect.HostConfig.GroupAdd).toEqual(['65532']);
    expect(inspect.HostConfig.SecurityOpt).toEqual(['no-new-privileges']);
    // What the process itself got, from the kernel: /proc/1/status of the container as the host sees it.
    const pid = (await daemon.docker(['inspect', '--format', '{{.State.Pid}}', name])).trim();
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(/^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual(['65532', '65532', '65532', '65532']);
    expect(/^Gid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual(['65532', '65532', '65532', '65532']);
    expect(/^Groups:\s+(.*)$/m.exec(status)?.[1]?.trim()).toBe('65532');
    expect(/^CapEff:\s+(.*)$/m.exec(status)?.[1]).toBe('0000000000000000');
    expect(/^NoNewPrivs:\s+(.*)$/m.exec(status)?.[1]).toBe('1');
    // Its root as its mount table says: mountinfo fields are id, parent, dev, root, mount point, options.
    const root = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .find((f) => f[4] === '/');
    expect(root?.[5]?.split(',')).toContain('ro');
  });

  it('answers /readyz with 200', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.admin}/readyz`);
    expect(res.status).toBe(200);
  });

  it("gives the example core pod the README's patch", async () => {
    const answer = await postReview(ports.webhook, tls.ca);
    expect(answer.status).toBe(200);
    const response = (JSON.parse(answer.body) as { response: { allowed: boolean; patch?: string } }).response;
    expect(response.allowed).toBe(true);
    const patched = applied(
      JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString()) as jsonpatch.Operation[],
    );
    expect(patched).toEqual(applied(readmePatch()));
    const env = Object.fromEntries((patched.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe('https://otel-collector-opentelemetry-collector:4317');
    expect(env.OTEL_METRIC_EXPORT_INTERVAL).toBe('10000');
    expect(patched.spec.volumes.find((v) => v.name === 'collector-ca-volume')?.configMap?.name).toBe('collector-ca');
    expect(patched.metadata.annotations?.['aigw-otel.io/injected']).toBe('core');
  });

  it('answers /metrics with the review it counted', async () => {
    expect((await postReview(ports.webhook, tls.ca)).status).toBe(200);
    const res = await fetch(`http://127.0.0.1:${ports.admin}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^aigw_otel_injector_reviews_total\{webhook="mutate-pods",outcome="[a-z_]+".*\} [1-9]/m);
    expect(text).toMatch(/^aigw_otel_injector_certificate_expiry_timestamp_seconds \d/m);
  });

  it.each([
    ['a shell', '/bin/sh'],
    ['npm', '/usr/local/bin/npm'],
  ])('cannot start %s (%s): there is none', async (_what, path) => {
    const run = daemon.docker(['run', '--rm', '--network', 'none', '--entrypoint', path, IMAGE, '-c', 'true']);
    await expect(run).rejects.toThrow(/no such file or directory/);
  });

  it('serves a certificate swapped in place (the kubelet updating the Secret) to new connections', async () => {
    const before = await servedSerial(ports.webhook, tls.ca);
    expect(before).toBe(new X509Certificate(tls['tls.crt']).serialNumber);
    const renewed = makeCerts(certs, true);
    const swapped = Date.now();
    volumes.swapTls(renewed);
    const expected = new X509Certificate(renewed['tls.crt']).serialNumber;
    expect(expected).not.toBe(before);
    let seen = before;
    while (seen !== expected && Date.now() - swapped < RELOAD_MS) {
      // Poll interval, not an assertion.
      await new Promise((r) => setTimeout(r, 250));
      seen = await servedSerial(ports.webhook, tls.ca);
    }
    expect(seen).toBe(expected);
  });

  it.each([
    {
      what: 'a key root-owned 0400 (the certificate 0444)',
      modes: { 'tls.crt': 0o444, 'tls.key': 0o400 },
      names: [KEY_PATH],
    },
    {
      what: "the Secret's 0440 root:root, as the kubelet writes it without fsGroup",
      modes: { 'tls.crt': 0o440, 'tls.key': 0o440 },
      // Both are unreadable; the server reads them together and reports whichever failed first.
      names: [CERT_PATH, KEY_PATH],
    },
  ])(
    'fails at start with a message naming the file, given $what and no fsGroup',
    async ({ modes, names }) => {
      const [dir, removeDir] = tempDir('aigw-image-certs-');
      const noFsGroup = { ...pod, fsGroup: undefined };
      // The namespaces file stays readable (group 65532, the container's primary group): only the Secret is not.
      const denied = writeVolumes(makeCerts(dir), namespacesYaml, pod, { pod: noFsGroup, modes });
      const container = `${name}-unreadable-${modes['tls.crt'].toString(8)}`;
      try {
        const flags = securityFlags().filter((f, i, all) => f !== '--group-add' && all[i - 1] !== '--group-add');
        await run(container, 'none', [...flags, ...denied.flags], { ...chartEnv(noFsGroup), ...standalone });
        const code = (await daemon.docker(['wait', container], { timeoutMs: START_MS })).trim();
        const log = await daemon.logs(container);
        expect(code).toBe('1');
        // The line main prints on stderr for the operator (kubectl logs shows it), beside the JSON log line.
        const printed = log.split('\n').find((l) => l.startsWith('aigw-otel-injector: TLS_CERT_FILE/TLS_KEY_FILE'));
        expect(printed).toMatch(/EACCES: permission denied, open '([^']+)'$/);
        expect(names).toContain(/open '([^']+)'$/.exec(printed ?? '')?.[1]);
      } finally {
        await daemon.docker(['rm', '--force', container]).catch(() => undefined);
        denied.remove();
        removeDir();
      }
    },
    START_MS + 10_000,
  );

  it(
    'ends with exit 0 within the grace period on docker stop (SIGTERM), answering the review in flight',
    async () => {
      let stopped: Promise<string> | undefined;
      let stopAt = 0;
      const answer = await postReview(ports.webhook, tls.ca, async () => {
        stopAt = Date.now();
        stopped = daemon.docker(['stop', '--time', String(GRACE_S), name], { timeoutMs: (GRACE_S + 30) * 1000 });
        // SIGTERM arrived once /readyz says 503 (the server is draining); only then does the review's body finish.
        while (
          (await fetch(`http://127.0.0.1:${ports.admin}/readyz`).then(
            (r) => r.status,
            () => 0,
          )) !== 503
        ) {
          if (Date.now() - stopAt > START_MS) throw new Error('/readyz never turned 503 after docker stop');
          await new Promise((r) => setTimeout(r, 50));
        }
      });
      expect(answer.continued).toBe(true);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ response: { allowed: true } });
      await stopped;
      const exitedAfterMs = Date.now() - stopAt;
      const state = (await daemon.docker(['inspect', '--format', '{{.State.ExitCode}} {{.State.OOMKilled}}', name]))
        .trim()
        .split(' ');
      expect(state).toEqual(['0', 'false']);
      expect(exitedAfterMs).toBeLessThan(GRACE_S * 1000);
    },
    (GRACE_S + 30) * 1000,
  );
});
