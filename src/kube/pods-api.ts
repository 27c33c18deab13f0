import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Pod } from '../core/pod.js';
import { call, withTimeout } from './calls.js';

/** The pod call the drift report makes: list one namespace's pods. */
export interface PodsApi {
  /** pods list (one namespace): running or pending pods, as the fields the injector reads. */
  listPods(namespace: string, timeoutMs: number): Promise<Pod[]>;
}

// kubectl's own page size; a namespace of gateways is far smaller.
const PAGE_SIZE = 500;

/** Only what the decision reads, as plain JSON: never written back, so the typed model's rewriting is harmless. */
function toPod(item: V1Pod): Pod {
  const plain = (x: unknown) => JSON.parse(JSON.stringify(x ?? null)) as unknown;
  const m = item.metadata ?? {};
  return {
    metadata: {
      name: m.name,
      generateName: m.generateName,
      namespace: m.namespace,
      labels: m.labels,
      annotations: m.annotations,
      ownerReferences: plain(m.ownerReferences ?? []),
    },
    spec: {
      containers: (item.spec?.containers ?? []).map((c) => plain(c) as Pod['spec']['containers'][number]),
      volumes: plain(item.spec?.volumes ?? []) as Pod['spec']['volumes'],
    },
  };
}

const live = (p: V1Pod) =>
  p.metadata?.deletionTimestamp === undefined && (p.status?.phase === 'Running' || p.status?.phase === 'Pending');

export function podsApi(kc: KubeConfig): PodsApi {
  const core = kc.makeApiClient(CoreV1Api);
  return {
    listPods: (namespace, timeoutMs) =>
      call(async () => {
        const pods: Pod[] = [];
        let continueToken: string | undefined;
        do {
          const page = await core.listNamespacedPod(
            { namespace, limit: PAGE_SIZE, _continue: continueToken },
            withTimeout(timeoutMs),
          );
          pods.push(...page.items.filter(live).map(toPod));
          continueToken = page.metadata?._continue || undefined;
        } while (continueToken !== undefined);
        return pods;
      }),
  };
}
