/**
 * A steady stream of pod creates in one namespace while something happens to the injector (a rollout, a killed
 * replica): each create goes through the API server's admission, and what the API server returned says whether it
 * succeeded and whether the webhook configured it. The pods never run (a nodeSelector no node has): the node's
 * two cores stay free for the injector being disturbed, and the stored pod is exactly what the webhook made of it.
 */
import type { NodeCluster } from './node-cluster.js';

export interface CreateResult {
  /** Milliseconds since the loop began. */
  readonly atMs: number;
  readonly ok: boolean;
  /** The stored pod's container env has the endpoint and it carries the injected annotation. */
  readonly configured: boolean;
  readonly error?: string;
}

export interface CreateLoop {
  /** Stops after the create in flight and resolves with every result. */
  stop(): Promise<CreateResult[]>;
}

interface StoredPod {
  metadata: { annotations?: Record<string, string> };
  spec: { containers: { env?: { name: string; value?: string }[] }[] };
}

/** Creates pods (role core) in `namespace` one after another until stopped. */
export function startCreateLoop(node: NodeCluster, namespace: string, endpoint: string): CreateLoop {
  const began = Date.now();
  const results: CreateResult[] = [];
  let stopping = false;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'steady-', namespace, labels: { 'aigw-otel.io/role': 'core' } },
    spec: {
      // No node has this label: the pod is stored and never scheduled.
      nodeSelector: { 'aigw.test/nowhere': 'true' },
      containers: [{ name: 'aigw', image: 'aigw.test/steady:1' }],
    },
  };
  const loop = (async () => {
    while (!stopping) {
      const atMs = Date.now() - began;
      const r = await node.kubectl(['create', '-o', 'json', '-f', '-'], {
        input: JSON.stringify(pod),
        allowFailure: true,
      });
      if (r.code !== 0) {
        results.push({ atMs, ok: false, configured: false, error: r.stderr.trim().slice(0, 300) });
        continue;
      }
      const stored = JSON.parse(r.stdout) as StoredPod;
      const env = stored.spec.containers[0]?.env ?? [];
      const configured =
        stored.metadata.annotations?.['aigw-otel.io/injected'] !== undefined &&
        env.some((e) => e.name === 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' && e.value === endpoint);
      results.push({ atMs, ok: true, configured });
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      return results;
    },
  };
}
