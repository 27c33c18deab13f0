import { AppsV1Api, PatchStrategy, type KubeConfig, type V1PodTemplateSpec } from '@kubernetes/client-node';
import { WORKLOAD_KINDS, type Workload, type WorkloadKind } from '../core/rollout.js';
import { call, withTimeout } from './calls.js';

/** The workload calls auto-rollout makes: list the three kinds in a namespace, patch a pod template's annotations. */
export interface AppsApi {
  /** deployments, statefulsets, daemonsets list (one namespace). */
  listWorkloads(namespace: string, timeoutMs: number): Promise<Workload[]>;
  /** deployments, statefulsets, daemonsets patch: a merge patch of the pod template's annotations (null removes). */
  patchTemplateAnnotations(
    workload: Pick<Workload, 'kind' | 'name' | 'namespace'>,
    annotations: Record<string, string | null>,
    timeoutMs: number,
  ): Promise<void>;
}

interface Listed {
  readonly metadata?: { name?: string; namespace?: string; uid?: string };
  readonly spec?: { template: V1PodTemplateSpec };
}
interface Page {
  readonly items: readonly Listed[];
  readonly metadata?: { _continue?: string };
}

// A namespace's workloads fit in a page or two; kubectl's own page size.
const PAGE_SIZE = 500;

/** Only what the role rules read: labels, annotations, container names and images. Never written back. */
function toWorkload(kind: WorkloadKind, item: Listed): Workload {
  const template = item.spec?.template;
  const containers = (template?.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image }));
  return {
    kind,
    name: item.metadata?.name ?? '',
    namespace: item.metadata?.namespace ?? '',
    uid: item.metadata?.uid,
    template: {
      metadata: { labels: template?.metadata?.labels, annotations: template?.metadata?.annotations },
      spec: { containers },
    },
  };
}

export function appsApi(kc: KubeConfig): AppsApi {
  const apps = kc.makeApiClient(AppsV1Api);
  type Lister = (p: { namespace: string; limit: number; _continue?: string }, o: object) => Promise<Page>;
  const listers: Record<WorkloadKind, Lister> = {
    Deployment: (p, o) => apps.listNamespacedDeployment(p, o),
    StatefulSet: (p, o) => apps.listNamespacedStatefulSet(p, o),
    DaemonSet: (p, o) => apps.listNamespacedDaemonSet(p, o),
  };
  type Patcher = (p: { namespace: string; name: string; body: object }, o: object) => Promise<unknown>;
  const patchers: Record<WorkloadKind, Patcher> = {
    Deployment: (p, o) => apps.patchNamespacedDeployment(p, o),
    StatefulSet: (p, o) => apps.patchNamespacedStatefulSet(p, o),
    DaemonSet: (p, o) => apps.patchNamespacedDaemonSet(p, o),
  };
  const listAll = async (kind: WorkloadKind, namespace: string, timeoutMs: number) => {
    const all: Workload[] = [];
    let continueToken: string | undefined;
    do {
      const page = await listers[kind](
        { namespace, limit: PAGE_SIZE, _continue: continueToken },
        withTimeout(timeoutMs),
      );
      all.push(...page.items.map((item) => toWorkload(kind, item)));
      continueToken = page.metadata?._continue || undefined;
    } while (continueToken !== undefined);
    return all;
  };
  return {
    listWorkloads: (namespace, timeoutMs) =>
      call(async () => {
        return (await Promise.all(WORKLOAD_KINDS.map((k) => listAll(k, namespace, timeoutMs)))).flat();
      }),
    patchTemplateAnnotations: ({ kind, name, namespace }, annotations, timeoutMs) =>
      call(async () => {
        const body = { spec: { template: { metadata: { annotations } } } };
        await patchers[kind](
          { namespace, name, body },
          withTimeout(timeoutMs, { contentType: PatchStrategy.MergePatch }),
        );
      }),
  };
}
