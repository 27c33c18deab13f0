import { fail, ok, type Parsed } from './result.js';

// Kubernetes caps object names (DNS-1123 subdomains) and ConfigMap keys at 253 characters.
const MAX_NAME_LENGTH = 253;
// Mount paths beyond this are refused by most container runtimes (PATH_MAX is 4096 with the NUL).
const MAX_PATH_LENGTH = 4095;
// Browsers and proxies cap URLs near 2 KB; a collector address is far shorter. Checked before the URL parser runs.
const MAX_URL_LENGTH = 2048;
// The largest interval every OTel SDK parses: some read the variable as a 32-bit integer.
const MAX_MILLISECONDS = 2_147_483_647;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;
const WHOLE_MILLISECONDS = /^\d+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** An OTLP collector URL: http or https, a host, an optional port and path; no credentials, query or fragment. */
export function parseEndpoint(raw: string): Parsed<string> {
  if (raw.length > MAX_URL_LENGTH) return fail(`longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('not a URL (expected e.g. https://collector:4317)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return fail(`scheme must be http or https, not ${url.protocol.slice(0, -1).slice(0, 20)}`);
  }
  if (url.username !== '' || url.password !== '') return fail('URL must not carry credentials');
  if (url.search !== '' || url.hash !== '') return fail('URL must not have a query or fragment');
  if (!raw.toLowerCase().startsWith(`${url.protocol}//`)) return fail('URL must be written as scheme://host[:port]');
  return ok(raw);
}

/** A namespace or container name (DNS-1123 label). */
export const isDnsLabel = (raw: string): boolean => DNS1123_LABEL.test(raw);

/** A Kubernetes object name such as a ConfigMap's (DNS-1123 subdomain). */
export function parseObjectName(raw: string): Parsed<string> {
  if (raw.length > MAX_NAME_LENGTH) return fail(`longer than ${MAX_NAME_LENGTH} characters`);
  if (!DNS1123_SUBDOMAIN.test(raw)) return fail('not a valid name (lowercase letters, digits, - and .)');
  return ok(raw);
}

/** A key inside a ConfigMap's data. */
export function parseConfigMapKey(raw: string): Parsed<string> {
  if (raw.length > MAX_NAME_LENGTH) return fail(`longer than ${MAX_NAME_LENGTH} characters`);
  if (!CONFIGMAP_KEY.test(raw) || raw === '.' || raw === '..') {
    return fail('not a valid key (letters, digits, -, _ and .)');
  }
  return ok(raw);
}

/** An absolute, normalised directory path for a volume mount. */
export function parseMountPath(raw: string): Parsed<string> {
  if (!raw.startsWith('/')) return fail('must be an absolute path');
  if (raw.length > MAX_PATH_LENGTH) return fail('path too long');
  const segments = raw.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    return fail('must be a normalised path without //, . or .. and not /');
  }
  if (raw.includes(':') || raw.includes('\0')) return fail('must not contain : or NUL');
  return ok(raw);
}

/** Whole milliseconds (`10000`) or a duration (`500ms`, `10s`, `1m30s`, `1h`), greater than zero. */
export function parseMilliseconds(raw: string): Parsed<number> {
  let ms: number;
  if (WHOLE_MILLISECONDS.test(raw)) {
    ms = Number(raw);
  } else {
    const total = sumDuration(raw);
    if (total === undefined) return fail('not a duration (e.g. 10000, 500ms, 10s, 1m30s)');
    ms = total;
  }
  if (!Number.isInteger(ms)) return fail('must be a whole number of milliseconds');
  if (ms <= 0) return fail('must be greater than zero');
  if (ms > MAX_MILLISECONDS) return fail('too large (at most 2147483647 ms, about 24 days)');
  return ok(ms);
}

function sumDuration(raw: string): number | undefined {
  if (raw === '') return undefined;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = DURATION_PART.exec(raw); m !== null; m = DURATION_PART.exec(raw)) {
    // Stryker disable next-line StringLiteral: both groups always match, so the defaults are never used.
    const [whole, amount = '', unit = ''] = m;
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
    consumed += whole.length;
  }
  if (consumed !== raw.length) return undefined;
  // Avoid binary fractions: 0.1s is 100 ms, not 100.00000000000001.
  return Math.round(total * 1000) / 1000;
}

/** A probability for the ratio samplers: a decimal number in [0, 1]. */
export function parseRatio(raw: string): Parsed<string> {
  if (!DECIMAL.test(raw)) return fail('not a number (expected e.g. 0.25)');
  // DECIMAL has no sign, so the number is never below 0.
  if (Number(raw) > 1) return fail('must be between 0 and 1');
  return ok(raw);
}

/** `"true"` or `"false"`, as Kubernetes annotations spell booleans. */
export function parseBoolean(raw: string): Parsed<boolean> {
  if (raw === 'true') return ok(true);
  if (raw === 'false') return ok(false);
  return fail('must be "true" or "false"');
}

/** One of a fixed set of words. */
export function parseOneOf<T extends string>(choices: readonly T[]) {
  return (raw: string): Parsed<T> =>
    (choices as readonly string[]).includes(raw) ? ok(raw as T) : fail(`must be one of ${choices.join(', ')}`);
}

/** A comma-separated list of container names (DNS-1123 labels), without duplicates. */
export function parseNameList(raw: string): Parsed<readonly string[]> {
  const names = raw.split(',').map((s) => s.trim());
  const bad = names.find((n) => !DNS1123_LABEL.test(n));
  if (bad !== undefined) return fail(bad === '' ? 'empty name in list' : 'not a container name list (a,b,c)');
  return ok([...new Set(names)]);
}
