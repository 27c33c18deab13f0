import type { Attribute } from './attribute-list.js';
import { onNode } from './node-ip.js';
import type { Values } from './read-annotations.js';
import type { Role } from './targets.js';
import { isSlash, trimEndWhere } from './text.js';

export const CA_VOLUME = 'collector-ca-volume';
export const DEFAULT_CA_KEY = 'ca.crt';
export const DEFAULT_CA_MOUNT_PATH = '/etc/collector';
export const CLIENT_CERT_VOLUME = 'collector-client-cert-volume';
export const DEFAULT_CLIENT_CERT_MOUNT_PATH = '/etc/collector-client';
export const DEFAULT_HEADERS_KEY = 'headers';

export interface CaSource {
  readonly configMap: string;
  readonly key: string;
  readonly mountPath: string;
}

/** A Secret of type kubernetes.io/tls: `tls.crt` and `tls.key` for mTLS to the collector. */
export interface ClientCertSource {
  readonly secret: string;
  readonly mountPath: string;
}

/** A value, or a reference: the headers (an API key, say) come from a Secret and never appear in the pod spec. */
export type EnvSource =
  | { readonly value: string }
  | { readonly valueFrom: { readonly secretKeyRef: { name: string; key: string; optional: true } } };
export type EnvSetting = { readonly name: string } & EnvSource;

/** Which mounted files the env may point at: a skipped mount takes its env vars with it. */
export interface Mounted {
  readonly ca: boolean;
  readonly clientCert: boolean;
}

/** What the annotations ask for, before looking at any container. */
export interface Settings {
  readonly inject: boolean;
  readonly override: boolean;
  readonly ca: CaSource | undefined;
  readonly clientCert: ClientCertSource | undefined;
  /** Kubernetes resource attributes, on unless `k8s-attributes: "false"`. */
  readonly k8sAttributes: boolean;
  /** `resource-attributes`, if set: a setting of its own, unlike the Kubernetes ones that ride along. */
  readonly resourceAttributes: readonly Attribute[] | undefined;
  /** The env vars each role gets, in a fixed order. */
  env(role: Role, mounted: Mounted): readonly EnvSetting[];
  /** Set when the protocol is one the core cannot export with: the core then gets no endpoints (see below). */
  readonly coreProtocolProblem: string | undefined;
  /** Set when `endpoint-host: node` meets an https endpoint: TLS then needs a certificate for every node's IP. */
  readonly nodeTlsProblem: string | undefined;
}

/** The env vars the injector manages; `override: "true"` may replace exactly these. */
export const MANAGED_ENV = [
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY',
  'OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_COMPRESSION',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_HEADERS',
] as const;
type Managed = (typeof MANAGED_ENV)[number];

/**
 * The core (Go's otlp*grpc exporters) reads no protocol variable and speaks gRPC to the host and port of whatever
 * endpoint it is given. Given an HTTP collector's address it would fail to export, so under a non-gRPC protocol it
 * gets none of these and keeps what its Helm values say; the processors (Python) follow the protocol.
 */
const GRPC_ONLY_FOR_CORE: ReadonlySet<Managed> = new Set([
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
]);

/** Processors export traces only: they get none of these. */
const METRICS_ONLY: ReadonlySet<Managed> = new Set([
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY',
  'OTEL_METRIC_EXPORT_INTERVAL',
]);

const NEEDS: Readonly<Partial<Record<Managed, keyof Mounted>>> = {
  OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: 'ca',
  OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: 'ca',
  OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: 'clientCert',
  OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: 'clientCert',
  OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: 'clientCert',
  OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: 'clientCert',
};

export function settingsFrom(values: Values): Settings {
  const ca = caOf(values);
  const clientCert = clientCertOf(values);
  const wanted = wantedEnv(values, ca, clientCert);
  const coreOffGrpc = values.protocol !== undefined && values.protocol !== 'grpc';
  const env = (role: Role, mounted: Mounted): EnvSetting[] =>
    MANAGED_ENV.flatMap((name) => {
      const value = name === 'OTEL_EXPORTER_OTLP_TIMEOUT' ? timeoutFor(role, values['export-timeout']) : wanted[name];
      const needs = NEEDS[name];
      if (value === undefined || (role === 'processor' && METRICS_ONLY.has(name))) return [];
      if (role === 'core' && coreOffGrpc && GRPC_ONLY_FOR_CORE.has(name)) return [];
      if (needs !== undefined && !mounted[needs]) return [];
      return [typeof value === 'string' ? { name, value } : { name, ...value }];
    });
  const anyEndpoint = values.endpoint ?? values['tracing-endpoint'] ?? values['metrics-endpoint'];
  const onNodeOverTls =
    values['endpoint-host'] === 'node' &&
    [values.endpoint, values['tracing-endpoint'], values['metrics-endpoint']].some((e) =>
      e?.toLowerCase().startsWith('https:'),
    );
  return {
    inject: values.inject ?? true,
    override: values.override ?? false,
    ca,
    clientCert,
    k8sAttributes: values['k8s-attributes'] ?? true,
    resourceAttributes: values['resource-attributes'],
    env,
    coreProtocolProblem:
      coreOffGrpc && anyEndpoint !== undefined
        ? 'the AI Gateway core exports over gRPC only; its Helm endpoints stay in force'
        : undefined,
    nodeTlsProblem: onNodeOverTls ? NODE_TLS : undefined,
  };
}

// Neither SDK takes a TLS server name from the environment: each checks the certificate against the address it dials.
const NODE_TLS = "https to the node's IP: the Collector's certificate must name every node's IP";

/**
 * OTEL_EXPORTER_OTLP_TIMEOUT as each role's SDK reads it: the core's Go SDK in milliseconds, as the specification
 * says; the processors' Python SDK in seconds (open-telemetry/opentelemetry-python#4044), and as a whole number:
 * 1.33's OTLP exporters parse it with int(), so "0.5" stops the processor at start. Rounded up, never to 0 (no
 * wait at all) nor to less than was asked.
 */
function timeoutFor(role: Role, ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined;
  return role === 'core' ? String(ms) : String(Math.ceil(ms / 1000));
}

function caOf(values: Values): CaSource | undefined {
  const configMap = values['ca-configmap'];
  if (configMap === undefined) return undefined;
  return {
    configMap,
    key: values['ca-key'] ?? DEFAULT_CA_KEY,
    mountPath: values['ca-mount-path'] ?? DEFAULT_CA_MOUNT_PATH,
  };
}

function clientCertOf(values: Values): ClientCertSource | undefined {
  const secret = values['client-cert-secret'];
  if (secret === undefined) return undefined;
  return { secret, mountPath: values['client-cert-mount-path'] ?? DEFAULT_CLIENT_CERT_MOUNT_PATH };
}

function wantedEnv(values: Values, ca: CaSource | undefined, client: ClientCertSource | undefined) {
  const certificate = ca === undefined ? undefined : `${ca.mountPath}/${ca.key}`;
  const clientCrt = client === undefined ? undefined : `${client.mountPath}/tls.crt`;
  const clientKey = client === undefined ? undefined : `${client.mountPath}/tls.key`;
  const asText = (n: number | undefined) => (n === undefined ? undefined : String(n));
  const { protocol, endpoint } = values;
  const host = (url: string | undefined) =>
    url !== undefined && values['endpoint-host'] === 'node' ? onNode(url) : url;
  const headersSecret = values['headers-secret'];
  const headers =
    headersSecret === undefined
      ? undefined
      : {
          valueFrom: {
            // optional: a missing Secret must not keep the gateway from starting (it would sit in
            // CreateContainerConfigError); the SDK then sends no headers.
            secretKeyRef: {
              name: headersSecret,
              key: values['headers-secret-key'] ?? DEFAULT_HEADERS_KEY,
              optional: true as const,
            },
          },
        };
  const wanted: Readonly<Record<Managed, string | EnvSource | undefined>> = {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: host(values['tracing-endpoint'] ?? signalUrl(endpoint, protocol, 'traces')),
    // Stryker disable next-line StringLiteral: over HTTP no pod gets this URL (processors export no metrics, the core
    // is gRPC only), so the suffix is never seen; it is kept right for the day the core speaks HTTP.
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: host(values['metrics-endpoint'] ?? signalUrl(endpoint, protocol, 'metrics')),
    OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: certificate,
    OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: certificate,
    OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: clientCrt,
    OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: clientKey,
    OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: clientCrt,
    OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY: clientKey,
    OTEL_METRIC_EXPORT_INTERVAL: asText(values['metric-export-interval']),
    OTEL_TRACES_SAMPLER: values['traces-sampler'],
    OTEL_TRACES_SAMPLER_ARG: values['traces-sampler-arg'],
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_EXPORTER_OTLP_COMPRESSION: values.compression,
    OTEL_EXPORTER_OTLP_TIMEOUT: undefined, // per role: timeoutFor
    OTEL_EXPORTER_OTLP_HEADERS: headers,
  };
  return wanted;
}

/**
 * The `endpoint` shorthand for one signal. Over gRPC the collector's address serves every signal; over HTTP the
 * OTel specification wants each per-signal variable to be the full URL, base plus `/v1/traces` or `/v1/metrics`.
 */
function signalUrl(endpoint: string | undefined, protocol: string | undefined, signal: 'traces' | 'metrics') {
  if (endpoint === undefined || protocol === undefined || protocol === 'grpc') return endpoint;
  return `${trimEndWhere(endpoint, isSlash)}/v1/${signal}`;
}
