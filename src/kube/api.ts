import { CoreV1Api, PatchStrategy } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { appsApi, type AppsApi } from './apps-api.js';
import { absentOn404, asKubeError, call, type KubeError, withTimeout } from './calls.js';
import { leaseApi, type LeaseApi } from './lease-api.js';
import { podsApi, type PodsApi } from './pods-api.js';
import { openWatch } from './watch-stream.js';
import type { Annotations } from '../core/read-annotations.js';
import { ownAnnotationsOf } from '../namespaces/parse-file.js';

export interface NamespacePage {
  readonly items: readonly { readonly name: string; readonly annotations: Annotations }[];
  readonly resourceVersion: string;
  readonly continue?: string;
}

export type WatchEvent =
  | {
      readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
      readonly name: string;
      readonly annotations: Annotations;
      readonly resourceVersion: string;
    }
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: string }
  | { readonly type: 'ERROR'; readonly code: number; readonly message: string };

export { KubeError } from './calls.js';

export interface KubeEvent {
  readonly name: string;
  readonly namespace: string;
  readonly involvedObject: { kind: string; name: string; namespace?: string; uid?: string; apiVersion?: string };
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly time: string;
  /** Warning by default; a rollout is recorded as Normal. */
  readonly type?: 'Warning' | 'Normal';
}

/** The API calls the injector makes, and no others: RBAC in manifests/ grants exactly these. */
export interface KubeApi extends AppsApi, LeaseApi, PodsApi {
  /** namespaces list */
  listNamespaces(options: { limit: number; continueToken?: string; timeoutMs: number }): Promise<NamespacePage>;
  /**
   * namespaces watch; resolves at once with a function that ends it. A response whose headers have not arrived
   * within `headersTimeoutMs` ends it with an error, as does any other failure.
   */
  watchNamespaces(
    resourceVersion: string,
    timeoutSeconds: number,
    onEvent: (event: WatchEvent) => void,
    onDone: (error: KubeError | undefined) => void,
    headersTimeoutMs?: number,
  ): Promise<() => void>;
  /** namespaces get: annotations, or null when there is no such namespace. */
  getNamespace(name: string, timeoutMs: number): Promise<Annotations | null>;
  /** configmaps get: the keys it holds, or null when there is no such ConfigMap. */
  getConfigMapKeys(namespace: string, name: string, timeoutMs: number): Promise<readonly string[] | null>;
  /**
   * configmaps get: the value of one key (data, or binaryData as UTF-8; `value` undefined when the key is not there),
   * or null when there is no such ConfigMap. The collector probe reads the CA it is given this way.
   */
  getConfigMapValue(
    namespace: string,
    name: string,
    key: string,
    timeoutMs: number,
  ): Promise<{ readonly value: string | undefined } | null>;
  /** events create */
  createEvent(event: KubeEvent): Promise<void>;
  /** events patch: a new count and last time on an event already created. */
  patchEventCount(namespace: string, name: string, count: number, time: string): Promise<void>;
}

const nameOf = (o: { metadata?: { name?: string } }) => o.metadata?.name ?? '';
const annotationsOf = (o: { metadata?: { annotations?: Record<string, string> } }) =>
  ownAnnotationsOf(o.metadata?.annotations ?? {});

/** KubeApi over @kubernetes/client-node, with its default credential loading done by the caller. */
export function kubeApi(kc: KubeConfig, instance = 'aigw-otel-injector'): KubeApi {
  const core = kc.makeApiClient(CoreV1Api);
  return {
    ...appsApi(kc),
    ...leaseApi(kc),
    ...podsApi(kc),
    listNamespaces: ({ limit, continueToken, timeoutMs }) =>
      call(async () => {
        const list = await core.listNamespace({ limit, _continue: continueToken }, withTimeout(timeoutMs));
        return {
          items: list.items.map((ns) => ({ name: nameOf(ns), annotations: annotationsOf(ns) })),
          resourceVersion: list.metadata?.resourceVersion ?? '',
          continue: list.metadata?._continue || undefined,
        };
      }),
    watchNamespaces: (resourceVersion, timeoutSeconds, onEvent, onDone, headersTimeoutMs = WATCH_HEADERS_TIMEOUT_MS) =>
      openWatch(
        kc,
        {
          path: '/api/v1/namespaces',
          params: { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
          headersTimeoutMs,
        },
        (type, object) => onEvent(toWatchEvent(type, object)),
        (error) => onDone(error ? asKubeError(error) : undefined),
      ),
    getNamespace: (name, timeoutMs) =>
      absentOn404(async () => annotationsOf(await core.readNamespace({ name }, withTimeout(timeoutMs)))),
    getConfigMapKeys: (namespace, name, timeoutMs) =>
      absentOn404(async () => {
        const cm = await core.readNamespacedConfigMap({ namespace, name }, withTimeout(timeoutMs));
        return [...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})];
      }),
    getConfigMapValue: (namespace, name, key, timeoutMs) =>
      absentOn404(async () => {
        const cm = await core.readNamespacedConfigMap({ namespace, name }, withTimeout(timeoutMs));
        const text = cm.data?.[key];
        const binary = cm.binaryData?.[key];
        return { value: text ?? (binary === undefined ? undefined : Buffer.from(binary, 'base64').toString('utf8')) };
      }),
    createEvent: (e) =>
      call(async () => {
        await core.createNamespacedEvent(
          {
            namespace: e.namespace,
            body: {
              metadata: { name: e.name, namespace: e.namespace },
              involvedObject: e.involvedObject,
              reason: e.reason,
              message: e.message,
              type: e.type ?? 'Warning',
              count: e.count,
              firstTimestamp: new Date(e.time),
              lastTimestamp: new Date(e.time),
              source: { component: 'aigw-otel-injector' },
              reportingComponent: 'aigw-otel-injector',
              reportingInstance: instance,
            },
          },
          withTimeout(EVENT_TIMEOUT_MS),
        );
      }),
    patchEventCount: (namespace, name, count, time) =>
      call(async () => {
        await core.patchNamespacedEvent(
          { namespace, name, body: { count, lastTimestamp: time } },
          withTimeout(EVENT_TIMEOUT_MS, { contentType: PatchStrategy.MergePatch }),
        );
      }),
  };
}

// The API server sends a watch's headers at once; one silent this long is stalled, and the watch is retried.
const WATCH_HEADERS_TIMEOUT_MS = 30_000;
// Events are best effort and off the review path; a slow API server must not pile them up.
const EVENT_TIMEOUT_MS = 5000;

function toWatchEvent(type: string, object: Record<string, unknown>): WatchEvent {
  const metadata = (object.metadata ?? {}) as {
    name?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
  if (type === 'ERROR') {
    return {
      type,
      code: Number(object.code ?? 0),
      message: typeof object.message === 'string' ? object.message : 'watch error',
    };
  }
  const resourceVersion = metadata.resourceVersion ?? '';
  if (type === 'BOOKMARK') return { type, resourceVersion };
  if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
    return {
      type,
      name: metadata.name ?? '',
      annotations: ownAnnotationsOf(metadata.annotations ?? {}),
      resourceVersion,
    };
  }
  return { type: 'ERROR', code: 0, message: `unknown watch event type ${type}` };
}
