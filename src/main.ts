#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseCommand } from './cli/args.js';
import { runCheck, runInject, type CliResult } from './cli/run.js';
import { readConfig } from './config/config.js';
import { startInjector, StartupError } from './injector.js';
import { createLogger } from './observability/logger.js';

/** The command line: `serve` (the default), `inject`, `check`. The only place that exits the process. */
async function main(): Promise<void> {
  const command = parseCommand(process.argv.slice(2));
  switch (command.command) {
    case 'serve':
      return serve();
    case 'help':
      return finish({ code: 0, stdout: command.text, stderr: '' });
    case 'version':
      return finish({ code: 0, stdout: `${version()}\n`, stderr: '' });
    case 'usage-error':
      return finish({ code: 2, stdout: '', stderr: `aigw-otel-injector: ${command.message}\n\n${command.text}` });
    case 'inject':
      return finish(await runInject(command, readStdin));
    case 'check':
      return finish(await runCheck(command, readStdin));
    case 'status':
      return finish(await status(command.kubeconfig, command.output));
  }
}

/** `status` against the cluster of a kubeconfig (--kubeconfig, KUBECONFIG, or in-cluster). */
async function status(kubeconfig: string | undefined, output: 'text' | 'json'): Promise<CliResult> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { kubeApi } = await import('./kube/api.js');
  const { runStatus } = await import('./cli/status.js');
  const kc = new KubeConfig();
  try {
    if (kubeconfig === undefined) kc.loadFromDefault();
    else kc.loadFromFile(kubeconfig);
  } catch (error) {
    return { code: 1, stdout: '', stderr: `aigw-otel-injector status: cannot load the kubeconfig: ${String(error)}\n` };
  }
  const { namespaceEventReader } = await import('./kube/probe-events.js');
  return runStatus(kubeApi(kc), output, namespaceEventReader(kc));
}

function finish({ code, stdout, stderr }: CliResult): void {
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  process.exitCode = code;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function serve(): Promise<void> {
  const config = readConfig(process.env);
  if (!config.ok) {
    for (const error of config.errors) console.error(`aigw-otel-injector: ${error}`);
    process.exit(2);
  }
  const logger = createLogger(config.config.logLevel);
  let injector;
  try {
    injector = await startInjector(config.config, logger);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    logger.fatal({ err: text }, 'cannot start');
    if (error instanceof StartupError || (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`aigw-otel-injector: ${text}`);
    }
    process.exit(1);
  }
  const running = injector;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
