import { pino, type Logger, type DestinationStream } from 'pino';
import type { LogLevel } from '../config/config.js';

export type { Logger };

/**
 * JSON lines on stdout. Callers log chosen fields only: never whole objects or env values,
 * since pods carry secrets.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    { level, base: { service: 'aigw-otel-injector' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
}
