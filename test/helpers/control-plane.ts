/**
 * A real control plane for tests: etcd, kube-apiserver and kube-controller-manager, built by test/real/build.sh,
 * on free loopback ports, with certificates made for the run. No kubelet and no scheduler: pods stay Pending,
 * which is all admission needs.
 *
 *   const describeReal = describe.skipIf(!haveRealParts('kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd'));
 *   describeReal('…', () => {
 *     let cp: ControlPlane;
 *     beforeAll(async () => { cp = await startControlPlane(); }, 120_000);
 *     afterAll(() => cp?.stop(), 30_000);
 *     it('…', async () => {
 *       await cp.kubectl(['create', 'namespace', 'ai-gateway']);
 *       const pod = await cp.getJson<Pod>(['-n', 'ai-gateway', 'get', 'pod', 'x']);
 *     });
 *   });
 *
 * Everything runs asynchronously: an injector started in the same process (test/helpers/cluster-install.ts) must be
 * free to answer the API server's webhook calls while `kubectl` waits for the API server. Never call kubectl with
 * execFileSync from a test that runs the webhook in-process: the API server's call would time out.
 * Start one control plane per test file (beforeAll), never per test; `stop()` ends every process it started, by pid.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { spawnTied } from '../harness/process/spawn.js';
import { makeControlPlaneCerts, type ControlPlaneCerts } from './control-plane-certs.js';
import { freePort } from './process.js';
import { realPaths } from './real-parts.js';

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KubectlOptions {
  /** Standard input (a manifest for `apply -f -`). */
  readonly input?: string;
  /** Another kubeconfig file than the admin's (a ServiceAccount's, say). */
  readonly kubeconfig?: string;
  /** Resolve with the result on a non-zero exit instead of throwing. */
  readonly allowFailure?: boolean;
  /** Kill kubectl after this long; 60 s by default. */
  readonly timeoutMs?: number;
}

export interface ControlPlane {
  /** `https://127.0.0.1:<port>` of kube-apiserver. */
  readonly server: string;
  /** The admin kubeconfig file (client certificate in group system:masters). */
  readonly kubeconfigPath: string;
  /** The cluster CA (PEM): it signed the API server's serving certificate and the admin's client certificate. */
  readonly caPem: string;
  /** The run's scratch folder (certificates, etcd data, process logs). */
  readonly dir: string;
  /** How long the start took, certificates to the first ServiceAccount, in milliseconds. */
  readonly startupMs: number;
  /** Runs the built kubectl against this control plane, as admin unless `options.kubeconfig` says otherwise. */
  kubectl(args: readonly string[], options?: KubectlOptions): Promise<KubectlResult>;
  /** `kubectl <args> -o json`, parsed. */
  getJson<T = any>(args: readonly string[], options?: KubectlOptions): Promise<T>;
  /** A kubeconfig file and a client-node KubeConfig that authenticate with this bearer token (a ServiceAccount's). */
  tokenKubeConfig(token: string, name: string): { path: string; kubeConfig: KubeConfig };
  /** The requests of `options.auditUsers` the API server has answered so far. */
  auditEvents(): AuditEvent[];
  /** The tail of a component's stderr, for failure messages. */
  logTail(component: Component, lines?: number): string;
  /** Stops kube-controller-manager, kube-apiserver and etcd (by pid), and removes the scratch folder. */
  stop(): Promise<void>;
}

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

export interface ControlPlaneOptions {
  /** kube-controller-manager controllers; by default those workloads, namespaces and service accounts need. */
  readonly controllers?: readonly string[];
  /** How long to wait for each component to be ready; 90 s by default (a loaded 2-core machine). */
  readonly readyTimeoutMs?: number;
  /** Users whose requests the API server writes to its audit log (level Metadata); see `auditEvents()`. */
  readonly auditUsers?: readonly string[];
  /**
   * The address kube-apiserver binds, advertises and is reached at; 127.0.0.1 unless given. A real node's pods
   * reach the API server through the `kubernetes` Service, whose endpoint may not be loopback: the node harness
   * (test/harness/node) gives its bridge's address, which the serving certificate then names too.
   */
  readonly address?: string;
  /** kube-apiserver's authorization modes; RBAC alone unless given (a real node adds Node, before RBAC). */
  readonly authorizationModes?: readonly string[];
  /** More kube-apiserver flags, after ours (a repeated scalar flag's last value wins; list flags add up). */
  readonly apiserverArgs?: readonly string[];
}

/** One request as the API server's audit log records it (level Metadata; a watch also at ResponseStarted). */
export interface AuditEvent {
  readonly verb: string;
  readonly requestURI: string;
  readonly user: { readonly username: string };
  readonly objectRef?: {
    readonly resource?: string;
    readonly apiGroup?: string;
    readonly namespace?: string;
    readonly name?: string;
    readonly subresource?: string;
  };
  readonly responseStatus?: { readonly code?: number };
}

export const DEFAULT_CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'daemonset-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'garbage-collector-controller',
] as const;

/** Starts etcd, kube-apiserver and kube-controller-manager, and waits until each is ready. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-control-plane-'));
  const processes = new Processes(dir);
  try {
    return await start(dir, processes, options);
  } catch (error) {
    await processes.stopAll();
    throw error;
  }
}

async function start(dir: string, processes: Processes, options: ControlPlaneOptions): Promise<ControlPlane> {
  const began = Date.now();
  const readyMs = options.readyTimeoutMs ?? 90_000;
  const address = options.address ?? '127.0.0.1';
  const certs = makeControlPlaneCerts(join(dir, 'pki'), address === '127.0.0.1' ? [] : [`IP:${address}`]);
  const [etcdClient, etcdPeer, apiPort, kcmPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  processes.start('etcd', realPaths.etcd, etcdArgs(dir, etcdUrl, `http://127.0.0.1:${etcdPeer}`));
  await processes.waitReady('etcd', () => httpOk(`${etcdUrl}/health`), readyMs);

  const server = `https://${address}:${apiPort}`;
  const audit = auditArgs(dir, options.auditUsers ?? []);
  processes.start('kube-apiserver', realPaths.kubeApiserver, [
    ...apiserverArgs(dir, certs, etcdUrl, apiPort, {
      address,
      authorizationModes: options.authorizationModes ?? ['RBAC'],
    }),
    ...audit.args,
    ...(options.apiserverArgs ?? []),
  ]);
  const admin = { ca: certs.caPem, cert: certs.adminCertPem, key: certs.adminKeyPem };
  await processes.waitReady('kube-apiserver', () => httpsOk(`${server}/readyz`, admin), readyMs);

  const kubeconfigPath = join(dir, 'admin.kubeconfig');
  writeFileSync(kubeconfigPath, adminKubeconfig(server, certs));
  processes.start(
    'kube-controller-manager',
    realPaths.kubeControllerManager,
    controllerManagerArgs(dir, certs, kubeconfigPath, kcmPort, options.controllers ?? DEFAULT_CONTROLLERS),
  );
  const kcmHealthz = () => httpsOk(`https://127.0.0.1:${kcmPort}/healthz`, { ca: undefined });
  await processes.waitReady('kube-controller-manager', kcmHealthz, readyMs);

  const kubectl = (args: readonly string[], o: KubectlOptions = {}) =>
    runKubectl(['--kubeconfig', o.kubeconfig ?? kubeconfigPath, ...args], o);
  const plane: Omit<ControlPlane, 'startupMs'> = {
    server,
    kubeconfigPath,
    caPem: certs.caPem,
    dir,
    kubectl,
    getJson: async (args, o) => JSON.parse((await kubectl([...args, '-o', 'json'], o)).stdout),
    tokenKubeConfig: (token, name) => tokenKubeConfig(dir, server, certs.caPem, token, name),
    auditEvents: audit.read,
    logTail: (component, lines) => processes.tail(component, lines),
    stop: async () => {
      await processes.stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // The ServiceAccount controller makes `default` in each namespace; the ServiceAccount admission plugin refuses
  // pods before it exists. Its arrival in `default` shows the controller manager is at work.
  await until(
    async () =>
      (await kubectl(['-n', 'default', 'get', 'serviceaccount', 'default'], { allowFailure: true })).code === 0,
    readyMs,
    () => `no ServiceAccount default/default in time:\n${processes.tail('kube-controller-manager')}`,
  );
  return { ...plane, startupMs: Date.now() - began };
}

function etcdArgs(dir: string, clientUrl: string, peerUrl: string): string[] {
  return [
    '--name=default',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    // A test cluster's data dies with the run: no fsync keeps etcd responsive on a loaded machine.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

function apiserverArgs(
  dir: string,
  certs: ControlPlaneCerts,
  etcdUrl: string,
  port: number,
  at: { readonly address: string; readonly authorizationModes: readonly string[] },
): string[] {
  const { address, authorizationModes } = at;
  return [
    `--etcd-servers=${etcdUrl}`,
    `--secure-port=${port}`,
    `--bind-address=${address}`,
    `--advertise-address=${address}`,
    // The `kubernetes` Service's endpoints may not be loopback: on loopback nothing uses that Service, so none.
    ...(address === '127.0.0.1' ? ['--endpoint-reconciler-type=none'] : []),
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    `--tls-cert-file=${certs.apiserverCertFile}`,
    `--tls-private-key-file=${certs.apiserverKeyFile}`,
    `--client-ca-file=${certs.caFile}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${certs.serviceAccountPublicKeyFile}`,
    `--service-account-signing-key-file=${certs.serviceAccountKeyFile}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    `--authorization-mode=${authorizationModes.join(',')}`,
    // The default admission plugins stay on: MutatingAdmissionWebhook and ValidatingAdmissionWebhook among them.
    '--profiling=false',
  ];
}

/** An audit policy that records the given users' requests once answered, and nothing else. */
function auditArgs(dir: string, users: readonly string[]) {
  const log = join(dir, 'audit.log');
  const read = (): AuditEvent[] => {
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as AuditEvent);
  };
  if (users.length === 0) return { args: [], read };
  const policy = join(dir, 'audit-policy.json');
  writeFileSync(
    policy,
    JSON.stringify({
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitStages: ['RequestReceived'],
      rules: [{ level: 'Metadata', users }, { level: 'None' }],
    }),
  );
  return { args: [`--audit-policy-file=${policy}`, `--audit-log-path=${log}`, '--audit-log-format=json'], read };
}

function controllerManagerArgs(
  dir: string,
  certs: ControlPlaneCerts,
  kubeconfig: string,
  port: number,
  controllers: readonly string[],
): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    `--controllers=${controllers.join(',')}`,
    `--service-account-private-key-file=${certs.serviceAccountKeyFile}`,
    `--root-ca-file=${certs.caFile}`,
    '--use-service-account-credentials=true',
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'kcm-certs')}`,
  ];
}

function adminKubeconfig(server: string, certs: ControlPlaneCerts): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64(certs.caPem) } }],
    users: [
      {
        name: 'admin',
        user: { 'client-certificate-data': b64(certs.adminCertPem), 'client-key-data': b64(certs.adminKeyPem) },
      },
    ],
    contexts: [{ name: 'admin', context: { cluster: 'test', user: 'admin' } }],
    'current-context': 'admin',
  });
}

function tokenKubeConfig(dir: string, server: string, caPem: string, token: string, name: string) {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'test', server, caData: Buffer.from(caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name, token }],
    contexts: [{ name, cluster: 'test', user: name }],
    currentContext: name,
  });
  const path = join(dir, `${name.replace(/[^a-z0-9-]/gi, '_')}.kubeconfig`);
  writeFileSync(path, kubeConfig.exportConfig());
  return { path, kubeConfig };
}

/** kubectl, asynchronously (see the top of this file), with its output collected. */
export function runKubectl(args: readonly string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const input = options.input;
    const child = spawnTied(realPaths.kubectl, args, {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { code: code ?? -1, stdout, stderr };
      if (result.code !== 0 && options.allowFailure !== true) {
        reject(new Error(`kubectl ${args.join(' ')} exited ${result.code}:\n${stderr}${stdout}`));
      } else resolve(result);
    });
    if (child.stdin !== null) {
      // kubectl may exit before it reads its input (a call that fails at once, in a retry loop): the closed pipe
      // is EPIPE on this side, and the outcome is its exit code and stderr above, not an uncaught error. Seen
      // four times in one run of the suite beside a cold build.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

/**
 * The processes of one control plane, each with its stderr (and stdout) in a file in the run's folder. Each dies
 * with this process however it dies, afterAll or not (test/harness/process/spawn.ts).
 */
class Processes {
  private readonly running = new Map<Component, ChildProcess>();

  constructor(private readonly dir: string) {}

  start(component: Component, binary: string, args: string[]): void {
    const log = openSync(this.logFile(component), 'a');
    const child = spawnTied(binary, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    this.running.set(component, child);
  }

  async waitReady(component: Component, ready: () => Promise<boolean>, ms: number): Promise<void> {
    const child = this.running.get(component);
    await until(
      async () => {
        if (child?.exitCode !== null) throw new Error(`${component} exited early:\n${this.tail(component)}`);
        return ready();
      },
      ms,
      () => `${component} not ready in ${ms} ms:\n${this.tail(component)}`,
    );
  }

  tail(component: Component, lines = 40): string {
    try {
      return readFileSync(this.logFile(component), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** In reverse order of start: SIGTERM, then SIGKILL after 10 s. */
  async stopAll(): Promise<void> {
    for (const [component, child] of [...this.running].reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      this.running.delete(component);
    }
  }

  private logFile(component: Component): string {
    return join(this.dir, `${component}.log`);
  }
}

async function until(check: () => Promise<boolean>, ms: number, message: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** GET over HTTPS with the given trust and client certificate; `ca: undefined` accepts a self-signed server. */
function httpsOk(url: string, tls: { ca: string | undefined; cert?: string; key?: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { ...tls, rejectUnauthorized: tls.ca !== undefined, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
