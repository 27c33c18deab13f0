import type { KubeApi } from '../kube/api.js';
import { ownAnnotations } from '../core/read-annotations.js';
import type { NamespaceEventReader } from '../kube/probe-events.js';
import { collectorStatus, formatStatus, namespaceStatus, type StatusReport } from './status-report.js';
import type { CliResult } from './run.js';

// A person waits for this; each call of one namespace's objects is small.
const TIMEOUT_MS = 10_000;
// kubectl's own page size.
const PAGE_SIZE = 500;
// Namespaces read at once (each five small lists): hundreds of namespaces all at once made a loaded API server
// time requests out; this many keeps it busy without a queue longer than the timeout.
const NAMESPACES_AT_ONCE = 16;

type StatusApi = Pick<KubeApi, 'listNamespaces' | 'listWorkloads' | 'listPods'>;

/**
 * Reads the cluster: every namespace with our annotations, its workloads, its running pods, and the collector probe's
 * Events on it. Without `readEvents` (or without the right to list Events) the collector column says it was not read.
 */
export async function statusReport(api: StatusApi, readEvents?: NamespaceEventReader): Promise<StatusReport> {
  const configured: { name: string; annotations: Readonly<Record<string, string>> }[] = [];
  let continueToken: string | undefined;
  do {
    const page = await api.listNamespaces({ limit: PAGE_SIZE, continueToken, timeoutMs: TIMEOUT_MS });
    configured.push(...page.items.filter((ns) => ownAnnotations(ns.annotations).size > 0));
    continueToken = page.continue;
  } while (continueToken !== undefined);
  const namespaces = await mapAtMost(NAMESPACES_AT_ONCE, configured, async ({ name, annotations }) => {
    const [workloads, pods, events] = await Promise.all([
      api.listWorkloads(name, TIMEOUT_MS),
      api.listPods(name, TIMEOUT_MS),
      readEvents === undefined
        ? { error: 'not asked' }
        : readEvents(name, TIMEOUT_MS).catch((error: unknown) => ({ error: String(error) })),
    ]);
    return namespaceStatus(name, annotations, workloads, pods, collectorStatus(events));
  });
  return { ok: namespaces.every((n) => n.ok), namespaces };
}

/** `status`: exit 0 when every AI Gateway pod of every configured namespace is configured, 1 otherwise. */
export async function runStatus(
  api: StatusApi,
  output: 'text' | 'json',
  readEvents?: NamespaceEventReader,
): Promise<CliResult> {
  let report: StatusReport;
  try {
    report = await statusReport(api, readEvents);
  } catch (error) {
    return { code: 1, stdout: '', stderr: `aigw-otel-injector status: cannot read the cluster: ${String(error)}\n` };
  }
  const stdout = output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report);
  return { code: report.ok ? 0 : 1, stdout, stderr: '' };
}

/** `work` over `items`, at most `limit` at a time, the results in the order of `items`. */
async function mapAtMost<T, R>(limit: number, items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
