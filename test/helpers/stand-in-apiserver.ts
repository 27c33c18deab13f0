/**
 * A stand-in for kube-apiserver (not a cluster): a small HTTP server that speaks the real wire format for the
 * calls the injector makes — paginated list, chunked watch streams with ADDED/MODIFIED/DELETED/BOOKMARK/ERROR
 * events, GET with 404 Status objects, 410 Gone for expired resource versions, Event create and merge patch —
 * and that can be told to misbehave: drop watches, expire them, go away, answer slowly.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { stringify } from 'yaml';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };
interface HistoryEntry {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
}

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
});

const WORKLOAD_PLURAL = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' } as const;

/** RFC 7386 JSON merge patch, as the API server applies `application/merge-patch+json`. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// The API server parses a Lease's MicroTime with exactly six fractional digits and refuses anything else.
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
function microTimeProblem(lease: Obj): string | undefined {
  const spec = (lease.spec ?? {}) as Record<string, unknown>;
  for (const field of ['acquireTime', 'renewTime']) {
    const value = spec[field];
    if (value !== undefined && (typeof value !== 'string' || !MICRO_TIME.test(value))) {
      return `Lease in version "v1" cannot be handled as a Lease: parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05.000000Z07:00"`;
    }
  }
  return undefined;
}

export class StandInApiServer {
  private rv = 1;
  private compactedBefore = 0;
  private readonly namespaces = new Map<string, Obj>();
  private readonly history: HistoryEntry[] = [];
  private readonly watchers = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private portNumber = 0;
  readonly configMaps = new Map<string, Obj>();
  readonly events = new Map<string, Obj>();
  /** Deployments, StatefulSets and DaemonSets by `plural/namespace/name`. */
  readonly workloads = new Map<string, Obj>();
  readonly leases = new Map<string, Obj>();
  /** Pods by `namespace/name`, as the API server stores them (after admission). */
  readonly pods = new Map<string, Obj>();
  /** Every request: method, path, query and Authorization header, in order. */
  readonly requests: { method: string; path: string; query: URLSearchParams; authorization?: string }[] = [];
  /** Milliseconds to wait before answering, by request kind. */
  readonly delays: Partial<Record<'list' | 'get-namespace' | 'get-configmap', number>> = {};
  /** Answer these request kinds with 500. */
  readonly failing = new Set<'list' | 'get-configmap' | 'events' | 'leases' | 'workloads' | 'workload-patches'>();
  /** Watches get no answer at all, not even headers (an API server stalled behind a dead proxy). */
  stallWatches = false;
  /** How a watch from a compacted resourceVersion is refused: an HTTP 410, or a 200 with an ERROR event. */
  expiredWatchAs: 'http' | 'event' = 'event';

  get port(): number {
    return this.portNumber;
  }

  /** `tls`: serve HTTPS with this pair, as the real API server does for in-cluster clients. */
  async start(port = 0, tls?: { cert: string; key: string }): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = tls === undefined ? createServer(handler) : createTlsServer(tls, handler);
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.portNumber = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** The API server goes away: every connection cut, the port closed. */
  async goAway(): Promise<void> {
    for (const w of this.watchers) w.destroy();
    this.watchers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** ... and comes back on the same port, with the same state. */
  comeBack(): Promise<this> {
    return this.start(this.portNumber);
  }

  stop(): Promise<void> {
    return this.goAway();
  }

  /** A kubeconfig file's text for this server, as `kubectl` and `KUBECONFIG` read it, with a bearer token. */
  kubeconfigYaml(token: string): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'stand-in',
          cluster: { server: `http://127.0.0.1:${this.portNumber}`, 'insecure-skip-tls-verify': true },
        },
      ],
      users: [{ name: 'user', user: { token } }],
      contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'user' } }],
      'current-context': 'stand-in',
    });
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'stand-in', server: `http://127.0.0.1:${this.portNumber}`, skipTLSVerify: true }],
      users: [{ name: 'injector', token: 'stand-in-token' }],
      contexts: [{ name: 'stand-in', cluster: 'stand-in', user: 'injector' }],
      currentContext: 'stand-in',
    });
    return kc;
  }

  count(method: string, predicate: (path: string, query: URLSearchParams) => boolean): number {
    return this.requests.filter((r) => r.method === method && predicate(r.path, r.query)).length;
  }

  listCalls(): number {
    return this.count('GET', (p, q) => p === '/api/v1/namespaces' && q.get('watch') !== 'true');
  }

  watchCalls(): number {
    return this.count('GET', (p, q) => p === '/api/v1/namespaces' && q.get('watch') === 'true');
  }

  /** Creates or updates a namespace; watchers see ADDED or MODIFIED. `silently`: no watch event (a lagging watch). */
  setNamespace(name: string, annotations: Record<string, string> = {}, silently = false): void {
    const existed = this.namespaces.has(name);
    const object: Obj = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        uid: `uid-${name}`,
        resourceVersion: String(++this.rv),
        labels: { 'kubernetes.io/metadata.name': name },
        annotations,
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    this.namespaces.set(name, object);
    if (!silently) this.emit(existed ? 'MODIFIED' : 'ADDED', object);
  }

  deleteNamespace(name: string): void {
    const object = this.namespaces.get(name);
    if (object === undefined) return;
    this.namespaces.delete(name);
    this.emit('DELETED', { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.rv) } });
  }

  /** Stores a pod as running (status.phase Running), as the API server holds it after admission. */
  setPod(namespace: string, pod: Record<string, unknown> & { metadata?: Record<string, unknown> }): void {
    const metadata = { ...pod.metadata, namespace, resourceVersion: String(++this.rv) } as Record<string, unknown>;
    const name = [metadata.name, metadata.generateName].find((n): n is string => typeof n === 'string') ?? 'pod';
    this.pods.set(`${namespace}/${name}`, { ...pod, metadata: { ...metadata, name }, status: { phase: 'Running' } });
  }

  setConfigMap(namespace: string, name: string, data: Record<string, string>): void {
    this.configMaps.set(`${namespace}/${name}`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, resourceVersion: String(++this.rv) },
      data,
    });
  }

  /** Ends every open watch cleanly, as the API server does when a watch times out. */
  dropWatches(): void {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }

  /** Forgets history: resourceVersions before now are too old (etcd compaction); open watches get 410. */
  compact(): void {
    this.compactedBefore = this.rv;
    for (const w of this.watchers) {
      w.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') })}\n`);
    }
    this.watchers.clear();
  }

  sendBookmark(): void {
    for (const w of this.watchers)
      w.write(
        `${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Namespace', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } })}\n`,
      );
  }

  private emit(type: HistoryEntry['type'], object: Obj): void {
    const rv = Number(object.metadata.resourceVersion);
    this.history.push({ rv, type, object });
    for (const w of this.watchers) w.write(`${JSON.stringify({ type, object })}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const body = await new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => resolve(text));
    });
    const method = req.method ?? 'GET';
    this.requests.push({
      method,
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
    });
    const json = (code: number, value: unknown) => {
      if (!res.destroyed) res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
    };
    const wait = (ms = 0) => new Promise((r) => setTimeout(r, ms));
    const parts = url.pathname.split('/').filter(Boolean); // api v1 namespaces [name [configmaps|events [name]]]
    if (parts[0] === 'apis') return this.handleGroups(method, parts, body, req.headers['content-type'], json);
    if (parts[0] !== 'api' || parts[1] !== 'v1' || parts[2] !== 'namespaces')
      return json(404, status(404, 'NotFound', 'the server could not find the requested resource'));

    if (parts.length === 3 && method === 'GET') {
      if (url.searchParams.get('watch') === 'true') return this.watch(url.searchParams, res);
      await wait(this.delays.list);
      if (this.failing.has('list')) return json(500, status(500, 'InternalError', 'etcdserver: request timed out'));
      return json(200, this.list(url.searchParams));
    }
    const name = parts[3] ?? '';
    if (parts.length === 4 && method === 'GET') {
      // Read, then answer: a slow answer carries the state of when it was read, as a real one does.
      const ns = this.namespaces.get(name);
      await wait(this.delays['get-namespace']);
      return ns ? json(200, ns) : json(404, status(404, 'NotFound', `namespaces "${name}" not found`));
    }
    if (parts[4] === 'pods' && parts.length === 5 && method === 'GET') {
      const items = [...this.pods.entries()].filter(([k]) => k.startsWith(`${name}/`)).map(([, v]) => v);
      return json(200, { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: String(this.rv) }, items });
    }
    if (parts[4] === 'configmaps' && method === 'GET') {
      await wait(this.delays['get-configmap']);
      if (this.failing.has('get-configmap')) return json(500, status(500, 'InternalError', 'boom'));
      const cm = this.configMaps.get(`${name}/${parts[5] ?? ''}`);
      return cm ? json(200, cm) : json(404, status(404, 'NotFound', `configmaps "${parts[5]}" not found`));
    }
    if (parts[4] === 'events') {
      if (this.failing.has('events')) return json(500, status(500, 'InternalError', 'boom'));
      const event = JSON.parse(body || '{}') as Obj;
      if (method === 'POST') {
        const key = `${name}/${String(event.metadata?.name)}`;
        if (this.events.has(key))
          return json(409, status(409, 'AlreadyExists', `events "${String(event.metadata?.name)}" already exists`));
        this.events.set(key, event);
        return json(201, event);
      }
      if (method === 'PATCH') {
        const key = `${name}/${parts[5] ?? ''}`;
        const existing = this.events.get(key);
        if (!existing) return json(404, status(404, 'NotFound', 'event not found'));
        if (req.headers['content-type'] !== 'application/merge-patch+json')
          return json(415, status(415, 'UnsupportedMediaType', 'merge patch only'));
        const merged = { ...existing, ...event };
        this.events.set(key, merged);
        return json(200, merged);
      }
    }
    return json(405, status(405, 'MethodNotAllowed', 'not supported by the stand-in'));
  }

  /** Creates or replaces a workload; its pod template is `template` (metadata and spec). */
  setWorkload(
    kind: 'Deployment' | 'StatefulSet' | 'DaemonSet',
    namespace: string,
    name: string,
    template: unknown,
  ): void {
    this.workloads.set(`${WORKLOAD_PLURAL[kind]}/${namespace}/${name}`, {
      apiVersion: 'apps/v1',
      kind,
      metadata: { name, namespace, uid: `uid-${kind}-${name}`, resourceVersion: String(++this.rv), generation: 1 },
      spec: { replicas: 1, selector: { matchLabels: { app: name } }, template },
    });
  }

  workload(kind: 'Deployment' | 'StatefulSet' | 'DaemonSet', namespace: string, name: string): Obj | undefined {
    return this.workloads.get(`${WORKLOAD_PLURAL[kind]}/${namespace}/${name}`);
  }

  /**
   * The Events `kubectl describe` lists under an object: those in its namespace whose involvedObject has its kind,
   * name, namespace and uid (kubectl's field selector names all four; an Event without the uid is not listed).
   */
  describedEvents(object: { kind: string; namespace: string; name: string; uid: string }): Obj[] {
    return [...this.events.entries()]
      .filter(([key]) => key.startsWith(`${object.namespace}/`))
      .map(([, event]) => event)
      .filter((event) => {
        const o = (event.involvedObject ?? {}) as Record<string, unknown>;
        return (
          o.kind === object.kind && o.name === object.name && o.namespace === object.namespace && o.uid === object.uid
        );
      });
  }

  /** apis/apps/v1/namespaces/NS/PLURAL[/NAME] and apis/coordination.k8s.io/v1/namespaces/NS/leases[/NAME]. */
  private handleGroups(
    method: string,
    parts: string[],
    body: string,
    contentType: string | undefined,
    json: (code: number, value: unknown) => void,
  ): void {
    const [, group, , , namespace = '', plural = '', name] = parts;
    if (group === 'apps' && (Object.values(WORKLOAD_PLURAL) as string[]).includes(plural)) {
      return this.handleWorkloads({ method, plural, namespace, name, body, contentType }, json);
    }
    if (group === 'coordination.k8s.io' && plural === 'leases') {
      return this.handleLeases(method, namespace, name, body, json);
    }
    json(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  }

  private handleWorkloads(
    call: { method: string; plural: string; namespace: string; name?: string; body: string; contentType?: string },
    json: (code: number, value: unknown) => void,
  ): void {
    const { method, plural, namespace, name, body, contentType } = call;
    if (this.failing.has('workloads')) return json(500, status(500, 'InternalError', 'etcdserver: request timed out'));
    if (method === 'GET' && name === undefined) {
      const prefix = `${plural}/${namespace}/`;
      const items = [...this.workloads.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
      const kind = `${typeof items[0]?.kind === 'string' ? items[0].kind : plural}List`;
      return json(200, { kind, apiVersion: 'apps/v1', metadata: { resourceVersion: String(this.rv) }, items });
    }
    if (method === 'PATCH' && name !== undefined) {
      if (this.failing.has('workload-patches'))
        return json(500, status(500, 'InternalError', 'etcdserver: request timed out'));
      const key = `${plural}/${namespace}/${name}`;
      const existing = this.workloads.get(key);
      if (existing === undefined) return json(404, status(404, 'NotFound', `${plural} "${name}" not found`));
      if (contentType !== 'application/merge-patch+json')
        return json(415, status(415, 'UnsupportedMediaType', 'merge patch only'));
      const merged = mergePatch(existing, JSON.parse(body)) as Obj;
      merged.metadata = { ...merged.metadata, resourceVersion: String(++this.rv) };
      this.workloads.set(key, merged);
      return json(200, merged);
    }
    json(405, status(405, 'MethodNotAllowed', 'not supported by the stand-in'));
  }

  private handleLeases(
    method: string,
    namespace: string,
    name: string | undefined,
    body: string,
    json: (code: number, value: unknown) => void,
  ): void {
    if (this.failing.has('leases')) return json(500, status(500, 'InternalError', 'etcdserver: request timed out'));
    const key = `${namespace}/${name ?? ''}`;
    const existing = this.leases.get(key);
    if (method === 'GET' && name !== undefined) {
      return existing ? json(200, existing) : json(404, status(404, 'NotFound', `leases "${name}" not found`));
    }
    const lease = JSON.parse(body || '{}') as Obj;
    const timeProblem = microTimeProblem(lease);
    if (timeProblem !== undefined) return json(400, status(400, 'BadRequest', timeProblem));
    const leaseName = typeof lease.metadata.name === 'string' ? lease.metadata.name : '';
    if (method === 'POST' && name === undefined) {
      if (this.leases.has(`${namespace}/${leaseName}`))
        return json(409, status(409, 'AlreadyExists', `leases "${leaseName}" already exists`));
      const created = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
      this.leases.set(`${namespace}/${leaseName}`, created);
      return json(201, created);
    }
    if (method === 'PUT' && name !== undefined) {
      if (existing === undefined) return json(404, status(404, 'NotFound', `leases "${name}" not found`));
      if (lease.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        return json(
          409,
          status(
            409,
            'Conflict',
            'the object has been modified; please apply your changes to the latest version and try again',
          ),
        );
      }
      const updated = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
      this.leases.set(key, updated);
      return json(200, updated);
    }
    json(405, status(405, 'MethodNotAllowed', 'not supported by the stand-in'));
  }

  private list(query: URLSearchParams) {
    const all = [...this.namespaces.values()].sort((a, b) =>
      String(a.metadata.name).localeCompare(String(b.metadata.name)),
    );
    const limit = Number(query.get('limit') ?? 0) || all.length;
    const start = Number(query.get('continue') ?? 0);
    const items = all.slice(start, start + limit);
    const next = start + limit < all.length ? String(start + limit) : undefined;
    return {
      kind: 'NamespaceList',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) },
      items,
    };
  }

  private watch(query: URLSearchParams, res: ServerResponse): void {
    if (this.stallWatches) return;
    const from = Number(query.get('resourceVersion') ?? 0);
    if (from < this.compactedBefore) {
      if (this.expiredWatchAs === 'http') {
        res
          .writeHead(410, { 'Content-Type': 'application/json' })
          .end(JSON.stringify(status(410, 'Expired', 'too old resource version')));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.compactedBefore})`) })}\n`,
      );
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    for (const entry of this.history)
      if (entry.rv > from) res.write(`${JSON.stringify({ type: entry.type, object: entry.object })}\n`);
    this.watchers.add(res);
    res.on('close', () => this.watchers.delete(res));
  }
}
