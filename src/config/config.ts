import { isDnsLabel, parseObjectName } from '../core/values.js';

/** Everything the process reads from its environment, checked once at start-up. */
export interface Config {
  /** HTTPS port for the admission webhooks. */
  readonly port: number;
  /** Plain HTTP port for /healthz, /readyz and /metrics. */
  readonly adminPort: number;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  /** Standalone mode when set: namespaces come from this YAML file instead of the API server. */
  readonly namespacesFile: string | undefined;
  readonly logLevel: LogLevel;
  /** How often the certificate and namespaces files are checked for changes. */
  readonly filePollIntervalMs: number;
  /** This replica's name (the pod's HOSTNAME), reported as the source of the Events it records. */
  readonly instance: string;
  /**
   * Where the auto-rollout Lease lives (the injector's own namespace, from POD_NAMESPACE) and its name;
   * undefined in standalone mode or without POD_NAMESPACE, and then auto-rollout is off.
   */
  readonly rolloutLease: { readonly namespace: string; readonly name: string } | undefined;
  /**
   * AUTO_ROLLOUT=true: this install may roll workloads (manifests/components/auto-rollout sets it together with the
   * RBAC it needs). Off, a namespace asking for auto-rollout is told so by a log line and an Event.
   */
  readonly autoRollout: boolean;
  /**
   * The collector probe (cluster mode): how often each configured namespace's endpoints are probed, and one probe's
   * deadline; undefined when COLLECTOR_PROBE=false.
   */
  readonly collectorProbe: { readonly periodMs: number; readonly timeoutMs: number } | undefined;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// Where the Deployment mounts the serving certificate's Secret.
const DEFAULT_TLS_DIR = '/etc/aigw-otel-injector/tls';

export type ConfigResult = { ok: true; config: Readonly<Config> } | { ok: false; errors: string[] };

/** Reads the configuration, reporting every bad variable at once rather than the first. */
export function readConfig(env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const errors: string[] = [];
  const port = readPort(env, 'PORT', 8443, errors);
  const adminPort = readPort(env, 'ADMIN_PORT', 9090, errors);
  if (port === adminPort && port !== 0) errors.push(`PORT and ADMIN_PORT must differ (both are ${port})`);
  const logLevel = (env.LOG_LEVEL?.trim() || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    errors.push(`LOG_LEVEL="${env.LOG_LEVEL}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const tlsCertFile = readPath(env, 'TLS_CERT_FILE', `${DEFAULT_TLS_DIR}/tls.crt`, errors);
  const tlsKeyFile = readPath(env, 'TLS_KEY_FILE', `${DEFAULT_TLS_DIR}/tls.key`, errors);
  const namespacesFile = env.NAMESPACES_FILE?.trim() || undefined;
  const instance = env.HOSTNAME?.trim() || 'aigw-otel-injector';
  const filePollIntervalMs = readInterval(env, 'FILE_POLL_INTERVAL_MS', errors);
  const rolloutLease = readLease(env, errors);
  const autoRollout = (env.AUTO_ROLLOUT?.trim() || 'false').toLowerCase();
  if (autoRollout !== 'true' && autoRollout !== 'false')
    errors.push(`AUTO_ROLLOUT="${env.AUTO_ROLLOUT}" is not true or false`);
  const collectorProbe = readProbe(env, errors);
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: Object.freeze({
      port,
      adminPort,
      tlsCertFile,
      tlsKeyFile,
      namespacesFile,
      logLevel: logLevel as LogLevel,
      instance,
      filePollIntervalMs,
      rolloutLease,
      autoRollout: autoRollout === 'true',
      collectorProbe,
    }),
  };
}

function readPort(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, errors: string[]) {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  // 0 asks the kernel for a free port: tests and benchmarks use it.
  if (!/^\d+$/.test(raw) || n > 65535) {
    errors.push(`${name}="${raw}" is not a port number (0-65535)`);
    return fallback;
  }
  return n;
}

// "Within a few seconds" for a changed file; a stat per file per interval costs nothing.
const DEFAULT_POLL_MS = 2000;
// Below this the polling itself would show up in the profile.
const MIN_POLL_MS = 100;

function readInterval(env: Readonly<Record<string, string | undefined>>, name: string, errors: string[]) {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_POLL_MS;
  if (!/^\d+$/.test(raw) || Number(raw) < MIN_POLL_MS || Number(raw) > 600_000) {
    errors.push(`${name}="${raw}" is not a whole number of milliseconds from ${MIN_POLL_MS} to 600000`);
    return DEFAULT_POLL_MS;
  }
  return Number(raw);
}

function readPath(env: Readonly<Record<string, string | undefined>>, name: string, fallback: string, errors: string[]) {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw.trim() === '') errors.push(`${name} is set but empty`);
  return raw.trim();
}

function readLease(env: Readonly<Record<string, string | undefined>>, errors: string[]) {
  const namespace = env.POD_NAMESPACE?.trim() || undefined;
  const name = env.LEASE_NAME?.trim() || 'aigw-otel-injector';
  if (namespace !== undefined && !isDnsLabel(namespace)) {
    errors.push(`POD_NAMESPACE="${namespace}" is not a namespace name`);
  }
  if (!parseObjectName(name).ok) errors.push(`LEASE_NAME="${name}" is not a valid object name`);
  return namespace === undefined ? undefined : Object.freeze({ namespace, name });
}

// A broken endpoint is found within minutes (the alert waits 10); one handshake per Collector per period costs it
// nothing, and the CA ConfigMap GETs (one per configured namespace) match the drift monitor's pod lists.
const DEFAULT_PROBE_PERIOD_MS = 5 * 60_000;
// Below this the probe would wake an idle injector (and the API server, with its ConfigMap GETs) for little news.
const MIN_PROBE_PERIOD_MS = 10_000;
// A day: past that the result is not worth a gauge.
const MAX_PROBE_PERIOD_MS = 86_400_000;
// An in-cluster Collector completes a TLS handshake and the HTTP/2 preface in milliseconds; 5 s is far above that on
// a loaded node, below the SDKs' own 10 s export timeout, and keeps a black-holed endpoint from holding a slot long.
const DEFAULT_PROBE_TIMEOUT_MS = 5000;
// A loopback handshake takes about a millisecond; below 100 ms a busy node would report healthy Collectors down.
const MIN_PROBE_TIMEOUT_MS = 100;
// Past a minute a probe only delays the scan: an SDK would have given up long before.
const MAX_PROBE_TIMEOUT_MS = 60_000;

function readProbe(env: Readonly<Record<string, string | undefined>>, errors: string[]): Config['collectorProbe'] {
  const on = (env.COLLECTOR_PROBE?.trim() || 'true').toLowerCase();
  if (on !== 'true' && on !== 'false') errors.push(`COLLECTOR_PROBE="${env.COLLECTOR_PROBE}" is not true or false`);
  const periodMs = readMs(
    env,
    'COLLECTOR_PROBE_INTERVAL_MS',
    { fallback: DEFAULT_PROBE_PERIOD_MS, min: MIN_PROBE_PERIOD_MS, max: MAX_PROBE_PERIOD_MS },
    errors,
  );
  const timeoutMs = readMs(
    env,
    'COLLECTOR_PROBE_TIMEOUT_MS',
    { fallback: DEFAULT_PROBE_TIMEOUT_MS, min: MIN_PROBE_TIMEOUT_MS, max: MAX_PROBE_TIMEOUT_MS },
    errors,
  );
  if (timeoutMs >= periodMs) {
    errors.push(`COLLECTOR_PROBE_TIMEOUT_MS=${timeoutMs} must be shorter than COLLECTOR_PROBE_INTERVAL_MS=${periodMs}`);
  }
  return on === 'false' ? undefined : Object.freeze({ periodMs, timeoutMs });
}

function readMs(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  { fallback, min, max }: { fallback: number; min: number; max: number },
  errors: string[],
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    errors.push(`${name}="${raw}" is not a whole number of milliseconds from ${min} to ${max}`);
    return fallback;
  }
  return Number(raw);
}
