import { createHash } from 'node:crypto';
import { readAnnotations, type Annotations } from './read-annotations.js';
import { DEFAULT_CA_KEY } from './settings.js';

/**
 * What a probe of a namespace's collector endpoints found, from the injector's network: a fixed set, so the gauge's
 * series are bounded by namespaces × this list (and only one of them is exported per namespace at a time).
 * `ca-missing`: the namespace names a CA ConfigMap that is not there (or lacks the key), as the CA pre-flight says at
 * admission; nothing was probed, since the pods get no CA either. `failed`: anything else (a TLS handshake the server
 * refused, an endpoint that does not speak HTTP/2), with its reason.
 */
export const PROBE_RESULTS = [
  'ok',
  'unreachable',
  'tls-unknown-authority',
  'tls-name-mismatch',
  'tls-expired',
  'client-certificate-required',
  'ca-missing',
  'failed',
  'not-probed-node-local',
] as const;
export type ProbeResult = (typeof PROBE_RESULTS)[number];

/** A result with the reason a person reads: deterministic (no addresses or times), so repeats are one Event. */
export interface Outcome {
  readonly result: ProbeResult;
  readonly reason: string;
}

/** One endpoint to probe: where, and what to complete there. */
export interface ProbeTarget {
  /** `scheme://host:port`, as probed (path dropped, default port written out). */
  readonly endpoint: string;
  /** The host the certificate is verified against, as the SDK does (an IPv6 address without brackets). */
  readonly host: string;
  /**
   * The host to connect to: `host`, except that a single-label name (`otel-collector`) is resolved as a pod of the
   * namespace would, in that namespace (`otel-collector.<namespace>.svc`), not in the injector's own.
   */
  readonly dialHost: string;
  readonly port: number;
  /** https: a TLS handshake verified against `host` with the namespace's CA. http: a TCP connect only. */
  readonly tls: boolean;
  /** gRPC over TLS: the HTTP/2 preface is completed too (the server's SETTINGS frame read). */
  readonly grpc: boolean;
}

export interface CaRef {
  readonly configMap: string;
  readonly key: string;
}

/** What to do about one namespace. */
export type ProbePlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'node-local' }
  | { readonly kind: 'probe'; readonly targets: readonly ProbeTarget[]; readonly ca: CaRef | undefined };

const NONE: ProbePlan = { kind: 'none' };

/**
 * The endpoints a namespace's pods are given, to probe. Nothing when injection is off or no endpoint is set.
 * `endpoint-host: node` endpoints name each pod's own node, which the injector cannot stand in for: not probed.
 * Under a non-gRPC protocol only the traces endpoint reaches a pod (the core keeps its Helm values, processors export
 * no metrics). The CA matters only when some endpoint is https.
 */
export function probePlan(annotations: Annotations, namespace: string): ProbePlan {
  // Stryker disable next-line StringLiteral: the origin only decides which keys are problems; the values are the same.
  const { values } = readAnnotations(annotations, 'namespace');
  if (values.inject === false) return NONE;
  const grpc = (values.protocol ?? 'grpc') === 'grpc';
  const traces = values['tracing-endpoint'] ?? values.endpoint;
  const metrics = grpc ? (values['metrics-endpoint'] ?? values.endpoint) : undefined;
  const urls = [...new Set([traces, metrics].filter((u): u is string => u !== undefined))];
  if (urls.length === 0) return NONE;
  if (values['endpoint-host'] === 'node') return { kind: 'node-local' };
  const targets = urls.map((u) => targetOf(u, grpc, namespace));
  const configMap = values['ca-configmap'];
  const ca =
    configMap !== undefined && targets.some((t) => t.tls)
      ? { configMap, key: values['ca-key'] ?? DEFAULT_CA_KEY }
      : undefined;
  return { kind: 'probe', targets, ca };
}

/** A URL the annotation parser accepted (http or https, with a host). */
function targetOf(url: string, grpc: boolean, namespace: string): ProbeTarget {
  const parsed = new URL(url);
  const tls = parsed.protocol === 'https:';
  const port = parsed.port === '' ? (tls ? 443 : 80) : Number(parsed.port);
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  // The URL parser lowercases scheme and host and keeps an IPv6 host in brackets; the port is written out.
  // A pod's resolver searches `<namespace>.svc.cluster.local` first; the injector's would search its own namespace.
  // Names with a dot resolve alike from both (e.g. `otel.observability`), as do IPs (an IPv6 one has colons).
  const singleLabel = !host.includes('.') && !host.includes(':') && host !== 'localhost';
  const dialHost = singleLabel ? `${host}.${namespace}.svc` : host;
  return { endpoint: `${parsed.protocol}//${parsed.hostname}:${port}`, host, dialHost, port, tls, grpc };
}

/**
 * The cache key of a probe: what decides its result. Over TLS the endpoint, whether HTTP/2 is completed, and the CA
 * (by hash: 10,000 namespaces sharing one CA hold one key, not 10,000 copies of the PEM); over plain http the
 * endpoint alone (a TCP connect, the same for every CA and protocol).
 */
export function probeKey(target: ProbeTarget, ca: string | undefined): string {
  const where = `${target.endpoint} ${target.dialHost}`;
  if (!target.tls) return `${where} tcp`;
  const caHash = ca === undefined ? 'system' : createHash('sha256').update(ca).digest('hex').slice(0, 32);
  return `${where} ${target.grpc ? 'h2' : 'tls'} ${caHash}`;
}

/** One probe to make, and the namespaces whose result it decides. */
export interface ProbeGroup {
  readonly key: string;
  readonly target: ProbeTarget;
  readonly ca: string | undefined;
  readonly namespaces: string[];
}

/** What a namespace is probed with: its targets, and the CA its ConfigMap holds (if it names one). */
export interface NamespaceProbe {
  readonly namespace: string;
  readonly targets: readonly ProbeTarget[];
  readonly ca: string | undefined;
}

/**
 * Groups namespaces by probe key, in one pass: each key is probed once however many namespaces share it. The
 * groups sharing an address (`dialHost port`: several CAs for one Collector) are listed together, in the order first
 * met, so a caller can probe them one after the other (at most one probe in flight per endpoint).
 */
export function groupProbes(namespaces: Iterable<NamespaceProbe>): {
  readonly byEndpoint: ReadonlyMap<string, readonly ProbeGroup[]>;
  readonly keysOf: ReadonlyMap<string, readonly string[]>;
} {
  const groups = new Map<string, ProbeGroup>();
  const byEndpoint = new Map<string, ProbeGroup[]>();
  const keysOf = new Map<string, string[]>();
  const groupOf = (target: ProbeTarget, ca: string | undefined): ProbeGroup => {
    const key = probeKey(target, ca);
    const known = groups.get(key);
    if (known !== undefined) return known;
    const group = { key, target, ca, namespaces: [] };
    groups.set(key, group);
    const address = `${target.dialHost} ${target.port}`;
    byEndpoint.set(address, [...(byEndpoint.get(address) ?? []), group]);
    return group;
  };
  for (const { namespace, targets, ca } of namespaces) {
    const keys: string[] = [];
    for (const target of targets) {
      const group = groupOf(target, target.tls ? ca : undefined);
      group.namespaces.push(namespace);
      keys.push(group.key);
    }
    keysOf.set(namespace, keys);
  }
  return { byEndpoint, keysOf };
}

/**
 * A namespace's result from its endpoints' (traces first, then metrics): the first that is not ok, naming its
 * endpoint; ok when all are.
 */
export function combine(endpoints: readonly { readonly endpoint: string; readonly outcome: Outcome }[]): Outcome {
  const bad = endpoints.find((e) => e.outcome.result !== 'ok');
  if (bad !== undefined) return { result: bad.outcome.result, reason: `${bad.endpoint}: ${bad.outcome.reason}` };
  return { result: 'ok', reason: `${endpoints.map((e) => e.endpoint).join(', ')}: reachable` };
}

/**
 * Where a probe failed: the socket and name lookup, the TLS handshake, the HTTP/2 preface after it (gRPC), or the
 * first answer to an HTTP/1.1 request (OTLP/HTTP over TLS: what shows that the server finished its handshake too).
 */
export type ProbeStage = 'connect' | 'tls' | 'http2' | 'http';

/** A probe that did not succeed, as the shell saw it: the error's code (Node's or OpenSSL's), or a timeout. */
export interface ProbeFailure {
  readonly stage: ProbeStage;
  readonly code?: string;
  readonly timedOutMs?: number;
}

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);
// A Map, not an object: an error code is never looked up on Object.prototype.
const CONNECT: ReadonlyMap<string, string> = new Map([
  ['ECONNREFUSED', 'connection refused'],
  ['EHOSTUNREACH', 'host unreachable'],
  ['ENETUNREACH', 'network unreachable'],
  ['ETIMEDOUT', 'connect timed out'],
  ['ECONNRESET', 'connection reset'],
  ['EADDRNOTAVAIL', 'address not available'],
]);
// OpenSSL's verify errors (as Node names them) that mean: the CA given did not sign the chain the server sent.
const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'INVALID_CA',
]);
/**
 * The server asked for a client certificate and we sent none (the injector never reads Secrets): TLS 1.3 servers
 * answer with the certificate_required alert once the handshake is over; TLS 1.2 servers with bad_certificate during
 * it (Go's crypto/tls, which the Collector uses, does both).
 */
const CLIENT_CERT = new Set(['CERTIFICATE_REQUIRED', 'BAD_CERTIFICATE']);

/**
 * The TLS alert a handshake error carries, by its name alone: OpenSSL's releases spell the prefix differently for
 * the same alert (Node 20: `ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE`; Node 24: `ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE`).
 */
export function alertOf(code: string): string | undefined {
  if (!code.startsWith('ERR_SSL_')) return undefined;
  const at = code.indexOf('_ALERT_');
  return at < 0 ? undefined : code.slice(at + '_ALERT_'.length);
}

/** The result a failed probe gets, with its reason. */
export function classify(failure: ProbeFailure): Outcome {
  const { stage, code = 'unknown error', timedOutMs } = failure;
  if (timedOutMs !== undefined) {
    return { result: 'unreachable', reason: `no answer within ${timedOutMs} ms (${stageName[stage]})` };
  }
  if (DNS.has(code)) return { result: 'unreachable', reason: `name not found (${code})` };
  const connect = CONNECT.get(code);
  if (connect !== undefined && stage === 'connect') return { result: 'unreachable', reason: `${connect} (${code})` };
  if (UNKNOWN_AUTHORITY.has(code)) {
    return {
      result: 'tls-unknown-authority',
      reason: `certificate not signed by a CA the probe trusts: the CA ConfigMap's, or the public roots without one (${code})`,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { result: 'tls-name-mismatch', reason: `certificate does not name the endpoint's host (${code})` };
  }
  if (code === 'CERT_HAS_EXPIRED') return { result: 'tls-expired', reason: `certificate has expired (${code})` };
  if (code === 'CERT_NOT_YET_VALID') return { result: 'tls-expired', reason: `certificate is not valid yet (${code})` };
  const alert = alertOf(code);
  if (alert !== undefined && CLIENT_CERT.has(alert)) {
    return {
      result: 'client-certificate-required',
      reason: `the Collector requires a client certificate; the injector never reads Secrets, so it cannot present the client-cert-secret (${code})`,
    };
  }
  if (alert === 'HANDSHAKE_FAILURE') {
    // OpenSSL-based servers (not the Collector's Go) answer a missing client certificate this way under TLS 1.2.
    return {
      result: 'failed',
      reason: `the server refused the handshake: no common protocol or cipher, or a client certificate it requires (${code})`,
    };
  }
  if (alert === 'NO_APPLICATION_PROTOCOL' || code === 'NO_ALPN_H2')
    return { result: 'failed', reason: `the endpoint does not speak HTTP/2, so not gRPC (${code})` };
  return { result: 'failed', reason: `${stageName[stage]} failed (${code})` };
}

const stageName: Readonly<Record<ProbeStage, string>> = {
  connect: 'TCP connect',
  tls: 'TLS handshake',
  http2: 'HTTP/2 preface',
  http: 'HTTP request',
};

/** The namespace's CA ConfigMap as read: absent, without the key, or its PEM. */
export type CaRead =
  { readonly kind: 'missing-configmap' } | { readonly kind: 'missing-key' } | { readonly ca: string };

/** `ca-missing` with which of the two is missing, or undefined when the CA is there. */
export function caMissing(ref: CaRef, read: CaRead): Outcome | undefined {
  if ('ca' in read) return undefined;
  const what =
    read.kind === 'missing-configmap'
      ? `ConfigMap ${ref.configMap} not found`
      : `ConfigMap ${ref.configMap} has no key ${ref.key}`;
  return { result: 'ca-missing', reason: `${what}: pods get no CA, nothing was probed` };
}

export const NODE_LOCAL: Outcome = {
  result: 'not-probed-node-local',
  reason: "endpoint-host: node sends to each pod's own node, which the injector cannot probe from its network",
};

export const EVENT_UNREACHABLE = 'CollectorUnreachable';
export const EVENT_REACHABLE = 'CollectorReachable';
export const EVENT_NOT_PROBED = 'CollectorNotProbed';
const EVENT_REASONS = [EVENT_UNREACHABLE, EVENT_REACHABLE, EVENT_NOT_PROBED];

/** An Event to record on a Namespace. */
export interface ProbeEvent {
  readonly namespace: string;
  readonly type: 'Warning' | 'Normal';
  readonly reason: string;
  readonly message: string;
}

const same = (a: Outcome, b: Outcome) => a.result === b.result && a.reason === b.reason;

/**
 * The Events a scan's results call for: one where a namespace's result changed. A namespace seen for the first time
 * gets one only when its result is a problem (a healthy start is no news); one no longer probed gets none.
 * The message starts with the result, so `status` can read it back.
 */
export function probeEvents(
  previous: ReadonlyMap<string, Outcome>,
  current: ReadonlyMap<string, Outcome>,
): ProbeEvent[] {
  const events: ProbeEvent[] = [];
  for (const [namespace, now] of current) {
    const before = previous.get(namespace);
    if (before !== undefined && same(before, now)) continue;
    const quiet = now.result === 'ok' || now.result === 'not-probed-node-local';
    if (before === undefined && quiet) continue;
    const message = `${now.result}: ${now.reason}`;
    if (now.result === 'ok') events.push({ namespace, type: 'Normal', reason: EVENT_REACHABLE, message });
    else if (now.result === 'not-probed-node-local')
      events.push({ namespace, type: 'Normal', reason: EVENT_NOT_PROBED, message });
    else events.push({ namespace, type: 'Warning', reason: EVENT_UNREACHABLE, message });
  }
  return events;
}

/** An Event as `status` lists it from the API server. */
export interface RecordedEvent {
  readonly reason: string;
  readonly message: string;
  /** ISO time of its last occurrence. */
  readonly time: string;
}

/** The newest probe result among a namespace's Events, or undefined when none is there. */
export function latestProbeOutcome(
  events: readonly RecordedEvent[],
): (Outcome & { readonly since: string }) | undefined {
  let latest: (Outcome & { since: string }) | undefined;
  for (const e of events) {
    if (!EVENT_REASONS.includes(e.reason)) continue;
    const colon = e.message.indexOf(': ');
    const result = e.message.slice(0, colon) as ProbeResult;
    // Stryker disable next-line EqualityOperator: at 0 the result would be '', which no result is; equivalent.
    if (colon < 0 || !PROBE_RESULTS.includes(result)) continue;
    if (latest !== undefined && latest.since >= e.time) continue;
    latest = { result, reason: e.message.slice(colon + 2), since: e.time };
  }
  return latest;
}
