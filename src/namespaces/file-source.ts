import { readFile } from 'node:fs/promises';
import { pollFile, type Poller } from '../files/poll.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { parseNamespaces, type NamespaceMap } from './parse-file.js';
import type { NamespaceSource } from './source.js';

const EMPTY = Object.freeze({});

/**
 * Standalone mode: namespaces from a YAML file, reloaded when it changes. A namespace the file does not
 * list has no annotations. A broken file on reload keeps the last good state and logs an error.
 */
export async function fileNamespaceSource(
  path: string,
  logger: Logger,
  metrics: Metrics,
  pollIntervalMs: number,
): Promise<NamespaceSource> {
  let namespaces: NamespaceMap = await load(path);
  record(metrics, namespaces, 'ok');
  logger.info({ file: path, namespaces: namespaces.size }, 'namespaces loaded');
  const reload = async () => {
    try {
      namespaces = await load(path);
      record(metrics, namespaces, 'ok');
      logger.info({ file: path, namespaces: namespaces.size }, 'namespaces reloaded');
    } catch (error) {
      metrics.namespaceReloads.inc({ result: 'error' });
      logger.error({ file: path, err: message(error) }, 'namespaces file not reloaded; keeping the last good one');
    }
  };
  const poller: Poller = pollFile([path], pollIntervalMs, () => void reload());
  return {
    get: (name) => namespaces.get(name) ?? EMPTY,
    ready: () => true,
    stop: () => poller.stop(),
  };
}

async function load(path: string): Promise<NamespaceMap> {
  const parsed = parseNamespaces(await readFile(path, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

function record(metrics: Metrics, namespaces: NamespaceMap, result: 'ok'): void {
  metrics.namespaceReloads.inc({ result });
  metrics.namespaces.set(namespaces.size);
  metrics.namespacesSynced.set(1);
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
