import type { KubeApi } from '../kube/api.js';
import { ownAnnotations } from '../core/read-annotations.js';
import { formatStatus, namespaceStatus, type StatusReport } from './status-report.js';
import type { CliResult } from './run.js';

// A person waits for this; each call of one namespace's objects is small.
const TIMEOUT_MS = 10_000;
// kubectl's own page size.
const PAGE_SIZE = 500;

type StatusApi = Pick<KubeApi, 'listNamespaces' | 'listWorkloads' | 'listPods'>;

/** Reads the cluster: every namespace with our annotations, its workloads and its running pods. */
export async function statusReport(api: StatusApi): Promise<StatusReport> {
  const configured: { name: string; annotations: Readonly<Record<string, string>> }[] = [];
  let continueToken: string | undefined;
  do {
    const page = await api.listNamespaces({ limit: PAGE_SIZE, continueToken, timeoutMs: TIMEOUT_MS });
    configured.push(...page.items.filter((ns) => ownAnnotations(ns.annotations).size > 0));
    continueToken = page.continue;
  } while (continueToken !== undefined);
  const namespaces = await Promise.all(
    configured.map(async ({ name, annotations }) => {
      const [workloads, pods] = await Promise.all([
        api.listWorkloads(name, TIMEOUT_MS),
        api.listPods(name, TIMEOUT_MS),
      ]);
      return namespaceStatus(name, annotations, workloads, pods);
    }),
  );
  return { ok: namespaces.every((n) => n.ok), namespaces };
}

/** `status`: exit 0 when every AI Gateway pod of every configured namespace is configured, 1 otherwise. */
export async function runStatus(api: StatusApi, output: 'text' | 'json'): Promise<CliResult> {
  let report: StatusReport;
  try {
    report = await statusReport(api);
  } catch (error) {
    return { code: 1, stdout: '', stderr: `aigw-otel-injector status: cannot read the cluster: ${String(error)}\n` };
  }
  const stdout = output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report);
  return { code: report.ok ? 0 : 1, stdout, stderr: '' };
}
