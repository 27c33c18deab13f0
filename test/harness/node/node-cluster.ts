/**
 * A one-node Kubernetes cluster on this machine, every program real and built by test/real/build.sh: etcd,
 * kube-apiserver and kube-controller-manager (test/helpers/control-plane.ts, on the node's address), then
 * kube-scheduler, containerd 2.x with the given image archives imported, the kubelet registered as a Node, and
 * kube-proxy routing Services with iptables. Pods get addresses from a CNI bridge this harness creates
 * (configs.ts: NODE_NETWORK); nothing routes anywhere else.
 *
 *   const describeNode = describe.skipIf(!haveNodeParts('busyboxImage'));
 *   let node: NodeCluster;
 *   beforeAll(async () => { node = await startNodeCluster({ images: [realPaths.busyboxImage] }); }, NODE_START_MS);
 *   afterAll(() => node?.stop(), NODE_STOP_MS);
 *
 * One node at a time on a machine (lock.ts): a second test file waits for the first to stop its node.
 * What the node changes on the machine is recorded first and undone by one script (teardown.ts), from stop() or,
 * when the runner dies, from the lifeline watcher (test/harness/process/spawn.ts), which also kills every process
 * started here.
 */
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signed } from '../../helpers/control-plane-certs.js';
import { startControlPlane, type ControlPlane } from '../../helpers/control-plane.js';
import { freePort } from '../../helpers/process.js';
import { realPaths } from '../../helpers/real-parts.js';
import { runOnDeath, spawnTied } from '../process/spawn.js';
import { cniConfig, containerdConfig, kubeletConfig, NODE_NETWORK } from './configs.js';
import { lockNode, LOCK_PATH } from './lock.js';
import { CNI_BIN_DIR, IMAGE_REFS, RUNC } from './parts.js';
import { recordMachine, teardownScript } from './teardown.js';

const run = promisify(execFile);

export type NodeComponent = 'containerd' | 'kubelet' | 'kube-proxy' | 'kube-scheduler';

export interface NodeClusterOptions {
  /** Image archives (OCI or `docker save`) to import into containerd; the pause image always is. */
  readonly images?: readonly string[];
  /** Users whose requests the API server audits (test/helpers/control-plane.ts `auditUsers`). */
  readonly auditUsers?: readonly string[];
  /** How long each component may take to become ready; 120 s by default (a loaded 2-core machine). */
  readonly readyTimeoutMs?: number;
}

export interface NodeCluster extends ControlPlane {
  /** The Node's name and InternalIP (the bridge's address). */
  readonly nodeName: string;
  readonly nodeIp: string;
  /** The node's run folder (configs, logs, containerd and kubelet state). */
  readonly nodeDir: string;
  /** How long the start took, lock to Ready node, and how long was spent waiting for the lock before it. */
  readonly nodeStartupMs: number;
  readonly lockWaitMs: number;
  /** `ctr -n k8s.io <args>` against this node's containerd. */
  ctr(args: readonly string[]): Promise<string>;
  /** The tail of a node component's log. */
  nodeLogTail(component: NodeComponent, lines?: number): string;
}

// A file waits this long for another file's node (each runs for minutes) before it gives up.
export const NODE_LOCK_WAIT_MS = 20 * 60_000;
// beforeAll's bound: the lock wait plus a start (control plane, image imports, node Ready) on a loaded machine.
export const NODE_START_MS = NODE_LOCK_WAIT_MS + 5 * 60_000;
// afterAll's bound: SIGTERM with 10 s grace per component, then the teardown script and the control plane.
export const NODE_STOP_MS = 120_000;

/** Starts the node (after taking the machine's node lock); resolves once the Node is Ready and schedulable. */
export async function startNodeCluster(options: NodeClusterOptions = {}): Promise<NodeCluster> {
  const lock = await lockNode(NODE_LOCK_WAIT_MS);
  const began = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'aigw-node-'));
  const before = recordMachine();
  const script = join(dir, 'teardown.sh');
  writeFileSync(script, teardownScript({ before, dir, kubeProxy: realPaths.kubeProxy }));
  // A lent lock stays with its holder, which is alive (it lent it) and frees it itself.
  const cancelOnDeath = runOnDeath(`sh '${script}'\n${lock.lent ? '' : `rm -rf '${LOCK_PATH}'\n`}`);
  const processes = new NodeProcesses(dir);
  let plane: ControlPlane | undefined;
  const teardown = async () => {
    await processes.stopAll();
    await run('sh', [script]).catch(() => undefined);
    await plane?.stop();
    cancelOnDeath();
    lock.release();
  };
  try {
    await network();
    plane = await startControlPlane({
      address: NODE_NETWORK.nodeIp,
      // Every default controller: node lifecycle (lifts the not-ready taint), EndpointSlices (kube-proxy's
      // input), disruption (PDBs), the root CA publisher (kube-root-ca.crt in every pod's token volume), …
      controllers: ['*'],
      auditUsers: options.auditUsers,
      readyTimeoutMs: options.readyTimeoutMs ?? 120_000,
      // The kubelet's credentials reach only its own Node and its pods' objects, as in every real cluster.
      authorizationModes: ['Node', 'RBAC'],
      apiserverArgs: apiserverNodeArgs(dir),
    });
    const node = await startNode(plane, dir, processes, options);
    return { ...plane, ...node, lockWaitMs: lock.waitedMs, nodeStartupMs: Date.now() - began, stop: teardown };
  } catch (error) {
    const logs = (['containerd', 'kubelet'] as const).map((c) => `--- ${c}:\n${processes.tail(c, 25)}`).join('\n');
    await teardown();
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  }
}

/** The bridge with the node's address, the Service range routed to it, and forwarding between its ports. */
async function network(): Promise<void> {
  const { bridge, nodeIp, podCidr, serviceCidr } = NODE_NETWORK;
  await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `${nodeIp}/${podCidr.split('/')[1]}`, 'dev', bridge]);
  await run('ip', ['link', 'set', bridge, 'up']);
  // Packets for a ClusterIP that kube-proxy has not (yet) translated stay on the bridge instead of taking the
  // default route: no Service address ever leaves the machine.
  await run('ip', ['route', 'add', serviceCidr, 'dev', bridge, 'src', nodeIp]);
  // Debian's dockerd sets FORWARD's policy to DROP; bridged pod traffic passes FORWARD (br_netfilter).
  await run('iptables', ['-w', '5', '-I', 'FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT']);
}

const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * The API server's side of the node: NodeRestriction, the kubelet reached at its InternalIP, and a client
 * certificate for it from a CA of the node's own, which the kubelet trusts.
 */
function apiserverNodeArgs(dir: string): string[] {
  const pki = join(dir, 'pki');
  mkdirSync(pki, { recursive: true });
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(pki, 'ca.key'));
  openssl(
    ...['req', '-x509', '-new', '-key', join(pki, 'ca.key'), '-sha256', '-days', '2', '-subj', '/CN=test-kubelet-ca'],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ...['-out', join(pki, 'ca.crt')],
  );
  signed(pki, 'apiserver-kubelet-client', '/CN=kube-apiserver-kubelet-client', 'extendedKeyUsage=clientAuth');
  return [
    '--enable-admission-plugins=NodeRestriction',
    '--kubelet-preferred-address-types=InternalIP',
    `--kubelet-client-certificate=${join(pki, 'apiserver-kubelet-client.crt')}`,
    `--kubelet-client-key=${join(pki, 'apiserver-kubelet-client.key')}`,
  ];
}

function kubeconfig(server: string, caFile: string, certFile: string, keyFile: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'u', user: { 'client-certificate': certFile, 'client-key': keyFile } }],
    contexts: [{ name: 'c', context: { cluster: 'test', user: 'u' } }],
    'current-context': 'c',
  });
}

async function startNode(plane: ControlPlane, dir: string, processes: NodeProcesses, options: NodeClusterOptions) {
  const readyMs = options.readyTimeoutMs ?? 120_000;
  const { nodeName, nodeIp, podCidr } = NODE_NETWORK;
  const cpPki = join(plane.dir, 'pki');

  // kube-scheduler, as the admin (its own RBAC role needs nothing more here than a kubeconfig).
  const schedulerPort = await freePort();
  processes.start('kube-scheduler', realPaths.kubeScheduler, [
    `--kubeconfig=${plane.kubeconfigPath}`,
    `--authentication-kubeconfig=${plane.kubeconfigPath}`,
    `--authorization-kubeconfig=${plane.kubeconfigPath}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${schedulerPort}`,
  ]);

  // containerd, its CNI network and its images.
  const ctrd = join(dir, 'containerd');
  const cniConfDir = join(dir, 'cni');
  mkdirSync(cniConfDir, { recursive: true });
  writeFileSync(join(cniConfDir, '10-aigw-node.conflist'), cniConfig(join(dir, 'cni-ipam')));
  const socket = join(ctrd, 'containerd.sock');
  mkdirSync(ctrd, { recursive: true });
  writeFileSync(
    join(ctrd, 'config.toml'),
    containerdConfig({
      root: join(ctrd, 'root'),
      state: join(ctrd, 'state'),
      socket,
      cniConfDir,
      cniBinDir: CNI_BIN_DIR,
      runc: RUNC,
      sandboxImage: IMAGE_REFS.pause,
    }),
  );
  // Its own shim first on PATH: Debian's containerd package (a docker.io dependency) brings a 1.6 shim.
  const containerdDir = join(realPaths.containerd, '..');
  processes.start('containerd', realPaths.containerd, ['--config', join(ctrd, 'config.toml')], {
    PATH: `${containerdDir}:${process.env.PATH ?? ''}`,
  });
  const ctr = async (args: readonly string[]) =>
    (
      await run(realPaths.ctr, ['--address', socket, '--namespace', 'k8s.io', ...args], {
        maxBuffer: 16 * 1024 * 1024,
      })
    ).stdout;
  await processes.waitReady('containerd', async () => (await ctr(['version']).catch(() => '')) !== '', readyMs);
  for (const image of [realPaths.pauseImage, ...(options.images ?? [])]) await ctr(['images', 'import', image]);

  // The kubelet, registered as the Node with a certificate of system:nodes.
  signed(cpPki, 'kubelet', `/O=system:nodes/CN=system:node:${nodeName}`, 'extendedKeyUsage=clientAuth');
  const kubeletDir = join(dir, 'kubelet');
  mkdirSync(kubeletDir, { recursive: true });
  const kubeletKubeconfig = join(dir, 'kubelet.kubeconfig');
  writeFileSync(
    kubeletKubeconfig,
    kubeconfig(plane.server, join(cpPki, 'ca.crt'), join(cpPki, 'kubelet.crt'), join(cpPki, 'kubelet.key')),
  );
  writeFileSync(join(dir, 'resolv.conf'), '# no name server: pods resolve nothing\n');
  const [kubeletPort, healthzPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'kubelet.yaml'),
    kubeletConfig({
      containerdSocket: socket,
      clientCaFile: join(dir, 'pki', 'ca.crt'),
      resolvConf: join(dir, 'resolv.conf'),
      volumePluginDir: join(dir, 'volume-plugins'),
      podLogsDir: join(dir, 'pod-logs'),
      port: kubeletPort,
      healthzPort,
    }),
  );
  processes.start('kubelet', realPaths.kubelet, [
    `--config=${join(dir, 'kubelet.yaml')}`,
    `--kubeconfig=${kubeletKubeconfig}`,
    `--root-dir=${kubeletDir}`,
    `--cert-dir=${join(dir, 'kubelet-pki')}`,
    `--hostname-override=${nodeName}`,
    `--node-ip=${nodeIp}`,
  ]);

  // kube-proxy in iptables mode. It would raise conntrack limits and timeouts and route_localnet machine-wide:
  // 0 leaves each as it is, and node ports only on the node's address keep loopback out of it.
  const [proxyHealthz, proxyMetrics] = [await freePort(), await freePort()];
  processes.start('kube-proxy', realPaths.kubeProxy, [
    `--kubeconfig=${plane.kubeconfigPath}`,
    `--hostname-override=${nodeName}`,
    `--bind-address=${nodeIp}`,
    `--cluster-cidr=${podCidr}`,
    '--proxy-mode=iptables',
    `--healthz-bind-address=127.0.0.1:${proxyHealthz}`,
    `--metrics-bind-address=127.0.0.1:${proxyMetrics}`,
    '--conntrack-max-per-core=0',
    '--conntrack-tcp-timeout-established=0',
    '--conntrack-tcp-timeout-close-wait=0',
    `--nodeport-addresses=${nodeIp}/32`,
  ]);

  await processes.waitReady('kubelet', () => httpOk(`http://127.0.0.1:${healthzPort}/healthz`), readyMs);
  await processes.waitReady('kube-scheduler', () => httpsOk(`https://127.0.0.1:${schedulerPort}/healthz`), readyMs);
  await processes.waitReady('kube-proxy', () => httpOk(`http://127.0.0.1:${proxyHealthz}/healthz`), readyMs);
  // Ready, and the node-lifecycle controller has lifted its not-ready taint: before that nothing is scheduled.
  await processes.waitReady(
    'kubelet',
    async () => {
      const got = await plane.kubectl(['get', 'node', nodeName, '-o', 'json'], { allowFailure: true });
      if (got.code !== 0) return false;
      const node = JSON.parse(got.stdout) as {
        spec?: { taints?: { key: string }[] };
        status?: { conditions?: { type: string; status: string }[] };
      };
      const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      return ready && !(node.spec?.taints ?? []).some((t) => t.key.startsWith('node.kubernetes.io/'));
    },
    readyMs,
  );
  return {
    nodeName,
    nodeIp,
    nodeDir: dir,
    ctr,
    nodeLogTail: (component: NodeComponent, lines?: number) => processes.tail(component, lines),
  };
}

/** The node's processes, each tied to this one (spawnTied) and logging to a file in the run folder. */
class NodeProcesses {
  private readonly running = new Map<NodeComponent, ChildProcess>();

  constructor(private readonly dir: string) {}

  start(component: NodeComponent, binary: string, args: string[], env: Record<string, string> = {}): void {
    const log = openSync(this.logFile(component), 'a');
    const child = spawnTied(binary, args, { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
    closeSync(log);
    this.running.set(component, child);
  }

  async waitReady(component: NodeComponent, ready: () => Promise<boolean>, ms: number): Promise<void> {
    const child = this.running.get(component);
    const deadline = Date.now() + ms;
    for (;;) {
      if (child !== undefined && child.exitCode !== null) {
        throw new Error(`${component} exited early (${child.exitCode}):\n${this.tail(component)}`);
      }
      if (await ready()) return;
      if (Date.now() > deadline) throw new Error(`${component} not ready in ${ms} ms:\n${this.tail(component)}`);
      // Readiness is polled: a component takes seconds, so a quarter second's delay costs nothing.
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  tail(component: NodeComponent, lines = 40): string {
    try {
      return readFileSync(this.logFile(component), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** kube-proxy, the kubelet, the scheduler, then containerd: SIGTERM, SIGKILL after 10 s. */
  async stopAll(): Promise<void> {
    for (const [component, child] of [...this.running].reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        // A component that has not stopped in 10 s is stuck; SIGKILL it.
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      this.running.delete(component);
    }
  }

  private logFile(component: NodeComponent): string {
    return join(this.dir, `${component}.log`);
  }
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** GET over HTTPS from a component with a self-signed serving certificate. */
function httpsOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
