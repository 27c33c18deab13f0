import type { Values } from './read-annotations.js';
import type { Role } from './targets.js';

export const CA_VOLUME = 'collector-ca-volume';
export const DEFAULT_CA_KEY = 'ca.crt';
export const DEFAULT_CA_MOUNT_PATH = '/etc/collector';
export const DEFAULT_HEADERS_KEY = 'headers';

export interface CaSource {
  readonly configMap: string;
  readonly key: string;
  readonly mountPath: string;
}

/** A value, or a reference: the headers (an API key, say) come from a Secret and never appear in the pod spec. */
export type EnvSource =
  { readonly value: string } | { readonly valueFrom: { readonly secretKeyRef: { name: string; key: string } } };
export type EnvSetting = { readonly name: string } & EnvSource;

/** What the annotations ask for, before looking at any container. */
export interface Settings {
  readonly inject: boolean;
  readonly override: boolean;
  readonly ca: CaSource | undefined;
  /** The env vars each role gets, the CA certificate vars included; in a fixed order. */
  env(role: Role, withCa: boolean): readonly EnvSetting[];
}

/** The env vars the injector manages; `override: "true"` may replace exactly these. */
export const MANAGED_ENV = [
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_COMPRESSION',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_HEADERS',
] as const;
type Managed = (typeof MANAGED_ENV)[number];

/** Processors export traces only: they get none of the metrics settings. */
const FOR_PROCESSOR: ReadonlySet<Managed> = new Set([
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_COMPRESSION',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_HEADERS',
]);

const CA_ENV: ReadonlySet<Managed> = new Set([
  'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE',
  'OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE',
]);

export function settingsFrom(values: Values): Settings {
  const configMap = values['ca-configmap'];
  const ca =
    configMap === undefined
      ? undefined
      : {
          configMap,
          key: values['ca-key'] ?? DEFAULT_CA_KEY,
          mountPath: values['ca-mount-path'] ?? DEFAULT_CA_MOUNT_PATH,
        };
  const certificate = ca === undefined ? undefined : `${ca.mountPath}/${ca.key}`;
  const interval = values['metric-export-interval'];
  const timeout = values['export-timeout'];
  const protocol = values.protocol;
  const headersSecret = values['headers-secret'];
  const headers =
    headersSecret === undefined
      ? undefined
      : {
          valueFrom: {
            secretKeyRef: { name: headersSecret, key: values['headers-secret-key'] ?? DEFAULT_HEADERS_KEY },
          },
        };
  const wanted: Readonly<Record<Managed, string | EnvSource | undefined>> = {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: values['tracing-endpoint'] ?? signalUrl(values.endpoint, protocol, 'traces'),
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: values['metrics-endpoint'] ?? signalUrl(values.endpoint, protocol, 'metrics'),
    OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: certificate,
    OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: certificate,
    OTEL_METRIC_EXPORT_INTERVAL: interval === undefined ? undefined : String(interval),
    OTEL_TRACES_SAMPLER: values['traces-sampler'],
    OTEL_TRACES_SAMPLER_ARG: values['traces-sampler-arg'],
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_EXPORTER_OTLP_COMPRESSION: values.compression,
    OTEL_EXPORTER_OTLP_TIMEOUT: timeout === undefined ? undefined : String(timeout),
    OTEL_EXPORTER_OTLP_HEADERS: headers,
  };
  const env = (role: Role, withCa: boolean): EnvSetting[] =>
    MANAGED_ENV.flatMap((name) => {
      const value = wanted[name];
      if (value === undefined) return [];
      if (role === 'processor' && !FOR_PROCESSOR.has(name)) return [];
      if (!withCa && CA_ENV.has(name)) return [];
      return [typeof value === 'string' ? { name, value } : { name, ...value }];
    });
  return { inject: values.inject ?? true, override: values.override ?? false, ca, env };
}

/**
 * The `endpoint` shorthand for one signal. Over gRPC the collector's address serves every signal; over HTTP the
 * OTel specification wants each per-signal variable to be the full URL, base plus `/v1/traces` or `/v1/metrics`.
 */
function signalUrl(endpoint: string | undefined, protocol: string | undefined, signal: 'traces' | 'metrics') {
  if (endpoint === undefined || protocol === undefined || protocol === 'grpc') return endpoint;
  return `${endpoint.replace(/\/+$/, '')}/v1/${signal}`;
}
