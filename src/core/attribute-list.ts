import { fail, ok, type Parsed } from './result.js';

/** One `key=value` of OTEL_RESOURCE_ATTRIBUTES; the value is percent-encoded, as it stands in the variable. */
export interface Attribute {
  readonly key: string;
  readonly value: string;
}

// Well past any sensible list; keeps a single annotation from swelling every pod's env.
const MAX_LIST_LENGTH = 4096;

// W3C baggage: keys are HTTP tokens; values are baggage-octets (printable ASCII but space " , ; \) or %XX.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAGGAGE_VALUE = /^(?:[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E])*$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

/** Percent-encodes an attribute value as the OTel specification asks (W3C baggage value rules). */
export const encodeAttributeValue = (value: string): string => encodeURIComponent(value);

/** `key=value,...` as OTEL_RESOURCE_ATTRIBUTES spells it: keys are tokens, values already percent-encoded. */
export function parseAttributeList(raw: string): Parsed<readonly Attribute[]> {
  if (raw.length > MAX_LIST_LENGTH) return fail(`longer than ${MAX_LIST_LENGTH} characters`);
  const attributes: Attribute[] = [];
  for (const part of raw.split(',')) {
    const parsed = parsePair(part);
    if (!parsed.ok) return parsed;
    if (attributes.some((a) => a.key === parsed.value.key)) return fail(`duplicate key ${parsed.value.key}`);
    attributes.push(parsed.value);
  }
  return ok(attributes);
}

function parsePair(part: string): Parsed<Attribute> {
  const eq = part.indexOf('=');
  if (part.trim() === '') return fail('empty entry (expected key=value,key=value)');
  if (eq === -1) return fail('each entry must be key=value');
  const key = part.slice(0, eq).trim();
  const value = part.slice(eq + 1).trim();
  const shownKey = key.slice(0, 40);
  if (!TOKEN.test(key)) return fail(`bad key "${shownKey}" (letters, digits and .-_ only, no spaces)`);
  if (value === '') return fail(`empty value for ${shownKey}`);
  if (value.includes('$(')) return fail(`$(...) is not expanded in ${shownKey}; write $ as %24`);
  if (!BAGGAGE_VALUE.test(value) || BAD_PERCENT.test(value)) {
    return fail(`value of ${shownKey} must be percent-encoded (space %20, comma %2C, ; %3B)`);
  }
  return ok({ key, value });
}

/** The key of one entry of an existing list; an entry without `=` sets none. */
function keyOf(part: string): string | undefined {
  const eq = part.indexOf('=');
  return eq > 0 ? part.slice(0, eq).trim() : undefined;
}

/** The keys an existing OTEL_RESOURCE_ATTRIBUTES value already sets. */
export function keysIn(list: string): Set<string> {
  return new Set(list.split(',').flatMap((part) => keyOf(part) ?? []));
}

/** The entries of a list without those whose key is in `drop`, text kept as written. */
export function withoutKeys(list: string, drop: ReadonlySet<string>): string {
  return list
    .split(',')
    .filter((part) => {
      const key = keyOf(part);
      // Stryker disable next-line ConditionalExpression: drop never holds undefined; the check is for the type.
      return part.trim() !== '' && !(key !== undefined && drop.has(key));
    })
    .join(',');
}

export const formatAttributes = (attributes: readonly Attribute[]): string =>
  attributes.map((a) => `${a.key}=${a.value}`).join(',');
