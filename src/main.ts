#!/usr/bin/env node
import { readConfig } from './config/config.js';
import { startInjector, StartupError } from './injector.js';
import { createLogger } from './observability/logger.js';

/** The only place that reads process.env, installs signal handlers and exits the process. */
async function main(): Promise<void> {
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
    const known = error instanceof StartupError || (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    logger.fatal({ err: error instanceof Error ? error.message : String(error) }, 'cannot start');
    if (known) console.error(`aigw-otel-injector: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const { stop } = injector;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
