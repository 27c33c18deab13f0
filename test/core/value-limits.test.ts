/** Each value parser at its boundaries, with the exact message a user sees. */
import { describe, expect, it } from 'vitest';
import type { Parsed } from '../../src/core/result.js';
import {
  isDnsLabel,
  parseBoolean,
  parseConfigMapKey,
  parseEndpoint,
  parseMilliseconds,
  parseMountPath,
  parseNameList,
  parseObjectName,
  parseOneOf,
  parseRatio,
} from '../../src/core/values.js';

const outcome = (r: Parsed<unknown>) => (r.ok ? { value: r.value } : { error: r.reason });
const URL_2048 = `https://c:4317/${'a'.repeat(2048 - 'https://c:4317/'.length)}`;

describe.each<[string, (raw: string) => Parsed<unknown>, [string, { value: unknown } | { error: string }][]]>([
  [
    'endpoint',
    parseEndpoint,
    [
      [URL_2048, { value: URL_2048 }],
      [`${URL_2048}a`, { error: 'longer than 2048 characters' }],
      ['collector:4317', { error: 'scheme must be http or https, not collector' }],
      ['abcdefghijklmnopqrstuvwxyz://c', { error: 'scheme must be http or https, not abcdefghijklmnopqrst' }],
      ['file:///etc/x', { error: 'scheme must be http or https, not file' }],
      ['collector', { error: 'not a URL (expected e.g. https://collector:4317)' }],
      ['https://user@c:4317', { error: 'URL must not carry credentials' }],
      ['https://:pw@c:4317', { error: 'URL must not carry credentials' }],
      ['https://c:4317?x=1', { error: 'URL must not have a query or fragment' }],
      ['https://c:4317#top', { error: 'URL must not have a query or fragment' }],
      ['https:/c:4317', { error: 'URL must be written as scheme://host[:port]' }],
      ['HTTPS://C:4317', { value: 'HTTPS://C:4317' }],
      ['http://[::1]:4317/otlp', { value: 'http://[::1]:4317/otlp' }],
    ],
  ],
  [
    'object name',
    parseObjectName,
    [
      ['a'.repeat(253), { value: 'a'.repeat(253) }],
      ['a'.repeat(254), { error: 'longer than 253 characters' }],
      ['a.b-c', { value: 'a.b-c' }],
      ['a', { value: 'a' }],
      ['ab.c', { value: 'ab.c' }],
      ['a..b', { error: 'not a valid name (lowercase letters, digits, - and .)' }],
      ['a-', { error: 'not a valid name (lowercase letters, digits, - and .)' }],
      ['', { error: 'not a valid name (lowercase letters, digits, - and .)' }],
    ],
  ],
  [
    'ConfigMap key',
    parseConfigMapKey,
    [
      ['k'.repeat(253), { value: 'k'.repeat(253) }],
      ['k'.repeat(254), { error: 'longer than 253 characters' }],
      ['.', { error: 'not a valid key (letters, digits, -, _ and .)' }],
      ['..', { error: 'not a valid key (letters, digits, -, _ and .)' }],
      ['...', { value: '...' }],
      ['.ca', { value: '.ca' }],
      ['', { error: 'not a valid key (letters, digits, -, _ and .)' }],
      ['ca crt', { error: 'not a valid key (letters, digits, -, _ and .)' }],
    ],
  ],
  [
    'mount path',
    parseMountPath,
    [
      ['etc', { error: 'must be an absolute path' }],
      [`/${'p'.repeat(4094)}`, { value: `/${'p'.repeat(4094)}` }],
      [`/${'p'.repeat(4095)}`, { error: 'path too long' }],
      ['/a:b', { error: 'must not contain : or NUL' }],
      ['/a\0b', { error: 'must not contain : or NUL' }],
      ['/.', { error: 'must be a normalised path without //, . or .. and not /' }],
      ['/a/./b', { error: 'must be a normalised path without //, . or .. and not /' }],
      ['/a/..', { error: 'must be a normalised path without //, . or .. and not /' }],
      ['/a/.b/c..', { value: '/a/.b/c..' }],
    ],
  ],
  [
    'milliseconds',
    parseMilliseconds,
    [
      ['2147483647', { value: 2147483647 }],
      ['2147483648', { error: 'too large (at most 2147483647 ms, about 24 days)' }],
      ['596h31m23s647ms', { value: 2147483647 }],
      ['596h31m23s648ms', { error: 'too large (at most 2147483647 ms, about 24 days)' }],
      ['00010', { value: 10 }],
      ['1h1h', { value: 7200000 }],
      ['1.5ms', { error: 'must be a whole number of milliseconds' }],
      ['1.5', { error: 'not a duration (e.g. 10000, 500ms, 10s, 1m30s)' }],
      ['1m1', { error: 'not a duration (e.g. 10000, 500ms, 10s, 1m30s)' }],
      ['x1s', { error: 'not a duration (e.g. 10000, 500ms, 10s, 1m30s)' }],
      ['ms', { error: 'not a duration (e.g. 10000, 500ms, 10s, 1m30s)' }],
      ['.5s', { error: 'not a duration (e.g. 10000, 500ms, 10s, 1m30s)' }],
      ['0.0001s', { error: 'must be a whole number of milliseconds' }],
      ['0ms', { error: 'must be greater than zero' }],
      ['1ms', { value: 1 }],
    ],
  ],
  [
    'ratio',
    parseRatio,
    [
      ['1e0', { value: '1e0' }],
      ['1e-1', { value: '1e-1' }],
      ['5e-10', { value: '5e-10' }],
      ['10e-1', { value: '10e-1' }],
      ['.25', { value: '.25' }],
      ['x0.5', { error: 'not a number (expected e.g. 0.25)' }],
      ['0.5x', { error: 'not a number (expected e.g. 0.25)' }],
      ['1e1', { error: 'must be between 0 and 1' }],
      ['1.', { value: '1.' }],
      ['0.0', { value: '0.0' }],
      ['1.0001', { error: 'must be between 0 and 1' }],
      [' 0.5', { error: 'not a number (expected e.g. 0.25)' }],
      ['Infinity', { error: 'not a number (expected e.g. 0.25)' }],
      ['', { error: 'not a number (expected e.g. 0.25)' }],
    ],
  ],
  [
    'boolean',
    parseBoolean,
    [
      ['true', { value: true }],
      ['false', { value: false }],
      ['True', { error: 'must be "true" or "false"' }],
      ['', { error: 'must be "true" or "false"' }],
    ],
  ],
  [
    'one of',
    parseOneOf(['grpc', 'http/protobuf']),
    [
      ['grpc', { value: 'grpc' }],
      ['GRPC', { error: 'must be one of grpc, http/protobuf' }],
    ],
  ],
  [
    'container names',
    parseNameList,
    [
      ['a,b,a', { value: ['a', 'b'] }],
      [' a , b ', { value: ['a', 'b'] }],
      ['', { error: 'empty name in list' }],
      ['a,', { error: 'empty name in list' }],
      ['A', { error: 'not a container name list (a,b,c)' }],
      ['n'.repeat(63), { value: ['n'.repeat(63)] }],
      ['n'.repeat(64), { error: 'not a container name list (a,b,c)' }],
    ],
  ],
])('%s', (_name, parse, rows) => {
  it.each(rows)('%j', (raw, expected) => {
    expect(outcome(parse(raw))).toEqual(expected);
  });
});

describe('DNS labels', () => {
  it.each([
    ['aigw', true],
    ['a', true],
    ['a-b', true],
    ['-a', false],
    ['a-', false],
    ['a.b', false],
    ['a_', false],
    ['_a', false],
    ['n'.repeat(63), true],
    ['n'.repeat(64), false],
    ['', false],
  ])('%j: %s', (raw, ok) => expect(isDnsLabel(raw)).toBe(ok));
});
