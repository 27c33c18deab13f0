import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.js';

/** A logger that keeps its lines in memory for assertions. */
export function memoryLogger(level: 'info' | 'debug' = 'info') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger(level, sink), text: () => lines.join('') };
}
