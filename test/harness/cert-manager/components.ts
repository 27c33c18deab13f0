/**
 * cert-manager's controller, cainjector and webhook (test/real/parts/80-cert-manager.sh) run against a real control
 * plane as cert-manager's chart runs them: its CRDs, ServiceAccounts and RBAC applied as rendered
 * (./chart.ts), each component started with its Deployment's own args and env, authenticated as its own
 * ServiceAccount (a token from the TokenRequest API), never as admin. What differs from a pod, and why:
 * - each process gets `--kubeconfig` with its token (no in-cluster mount) and its listen ports free on loopback
 *   (flags appended after the chart's, so they win);
 * - cert-manager's own webhook is reached through ./loopback-service.ts (its Service as ExternalName 127.0.0.1, its
 *   webhook configurations' port the process's port); its caBundle is cainjector's, its serving certificate its own.
 *
 *   const cm = await startCertManager(cp);   // CRDs, RBAC, the three processes, cert-manager's webhook answering
 *   …
 *   await cm.stop();                          // before cp.stop()
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyObjectsAsIs } from './apply.js';
import { renderCertManager, CM_NAMESPACE, type Component } from './chart.js';
import { routeServiceToLoopback } from './loopback-service.js';
import type { ControlPlane } from '../../helpers/control-plane.js';
import { freePort } from '../../helpers/process.js';
import { realPaths } from '../../helpers/real-parts.js';
import { spawnTied } from '../process/spawn.js';

export interface CertManager {
  /** The pid of each component's process. */
  readonly pids: Readonly<Record<Component, number>>;
  /** The tail of a component's log, for failure messages. */
  logTail(component: Component, lines?: number): string;
  /** Stops the three processes (SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
}

const BINARY: Record<Component, string> = {
  controller: realPaths.certManagerController,
  cainjector: realPaths.certManagerCainjector,
  webhook: realPaths.certManagerWebhook,
};

// Long enough for the three to start, list and elect on a loaded 2-core machine.
const READY_MS = 120_000;

export async function startCertManager(cp: ControlPlane): Promise<CertManager> {
  const rendering = renderCertManager();
  await cp.kubectl(['create', 'namespace', CM_NAMESPACE]);
  await applyObjectsAsIs(cp, rendering.crds);
  for (const crd of rendering.crds) {
    await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crd.metadata.name}`]);
  }
  await applyObjectsAsIs(cp, rendering.rbac);

  const webhookPort = await freePort();
  const running = new Map<Component, ChildProcess>();
  const logFile = (c: Component) => join(cp.dir, `cert-manager-${c}.log`);
  const tail = (c: Component, lines = 40) => {
    try {
      return readFileSync(logFile(c), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const stop = async () => {
    for (const child of running.values()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    const extra: Record<Component, string[]> = {
      controller: [
        `--metrics-listen-address=127.0.0.1:${await freePort()}`,
        `--internal-healthz-listen-address=127.0.0.1:${await freePort()}`,
      ],
      cainjector: ['--metrics-listen-address=0'],
      webhook: [
        `--secure-port=${webhookPort}`,
        `--healthz-port=${await freePort()}`,
        `--metrics-listen-address=127.0.0.1:${await freePort()}`,
      ],
    };
    for (const component of ['webhook', 'cainjector', 'controller'] as const) {
      const pod = rendering.deployments[component].spec.template.spec;
      const container = pod.containers[0];
      const env = podEnv(container);
      const token = (
        await cp.kubectl(['-n', CM_NAMESPACE, 'create', 'token', pod.serviceAccountName, '--duration=2h'])
      ).stdout.trim();
      const kubeconfig = cp.tokenKubeConfig(token, `cert-manager-${component}`).path;
      const args = [...(container.args as string[]).map((a) => expand(a, env)), `--kubeconfig=${kubeconfig}`];
      const log = openSync(logFile(component), 'a');
      const child = spawnTied(BINARY[component], [...args, ...extra[component]], {
        stdio: ['ignore', log, log],
        env: { PATH: process.env.PATH ?? '', ...env, KUBECONFIG: kubeconfig },
      });
      closeSync(log);
      running.set(component, child);
    }
    // cert-manager's own webhook, as the chart renders it, reached on loopback (see the top of this file).
    const webhookService = rendering.webhook.find((o) => o.kind === 'Service');
    if (webhookService === undefined) throw new Error("cert-manager's chart rendered no webhook Service");
    await applyObjectsAsIs(
      cp,
      routeServiceToLoopback(
        rendering.webhook,
        { namespace: CM_NAMESPACE, name: webhookService.metadata.name },
        webhookPort,
      ),
    );
    await untilWebhookAnswers(cp, running, tail);
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = (c: Component) => running.get(c)?.pid ?? -1;
  return {
    pids: { controller: pid('controller'), cainjector: pid('cainjector'), webhook: pid('webhook') },
    logTail: tail,
    stop,
  };
}

/** The container's env as the kubelet resolves it here: values, and the downward-API namespace. */
function podEnv(container: { env?: { name: string; value?: string; valueFrom?: any }[] }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = CM_NAMESPACE;
    else if (e.value !== undefined) env[e.name] = e.value;
  }
  return env;
}

/** `$(NAME)` in an arg, as the kubelet expands it from the container's env. */
const expand = (arg: string, env: Record<string, string>) =>
  arg.replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);

/**
 * Resolves once cert-manager's webhook judges cert-manager objects: an Issuer naming no issuer type passes the CRD's
 * schema but not cert-manager's validation, so only the webhook (called with the caBundle cainjector wrote) refuses
 * it. A server-side dry run changes nothing.
 */
async function untilWebhookAnswers(
  cp: ControlPlane,
  running: Map<Component, ChildProcess>,
  tail: (c: Component, lines?: number) => string,
): Promise<void> {
  const invalid = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Issuer',
    metadata: { name: 'webhook-probe', namespace: CM_NAMESPACE },
    spec: {},
  };
  const deadline = Date.now() + READY_MS;
  let last = '';
  for (;;) {
    for (const [c, child] of running) {
      if (child.exitCode !== null) throw new Error(`cert-manager ${c} exited ${child.exitCode}:\n${tail(c)}`);
    }
    const r = await cp.kubectl(['create', '--dry-run=server', '-f', '-'], {
      input: JSON.stringify(invalid),
      allowFailure: true,
    });
    last = r.stderr + r.stdout;
    if (r.code !== 0 && last.includes('admission webhook "webhook.cert-manager.io" denied the request')) return;
    if (Date.now() > deadline) {
      throw new Error(
        `cert-manager's webhook not answering in ${READY_MS} ms: ${last}\nwebhook:\n${tail('webhook')}\ncainjector:\n${tail('cainjector')}`,
      );
    }
    await new Promise((r2) => setTimeout(r2, 1000));
  }
}
