import { describe, expect, it } from 'vitest';
import {
  parseConfigMapKey,
  parseEndpoint,
  parseMilliseconds,
  parseMountPath,
  parseNameList,
  parseObjectName,
  parseRatio,
} from '../../src/core/values.js';

describe('parseMilliseconds', () => {
  it.each([
    ['10000', 10000],
    ['500ms', 500],
    ['10s', 10000],
    ['1m30s', 90000],
    ['1h', 3600000],
    ['1.5s', 1500],
    ['0.1s', 100],
    ['2h1m1s1ms', 7261001],
  ])('%s → %d', (raw, ms) => expect(parseMilliseconds(raw)).toEqual({ ok: true, value: ms }));

  it.each([
    ['soon', /not a duration/],
    ['', /not a duration/],
    ['0', /greater than zero/],
    ['0s', /greater than zero/],
    ['-5s', /not a duration/],
    ['10 s', /not a duration/],
    ['1.0005s', /whole number/],
    ['10us', /not a duration/],
    ['1e3', /not a duration/],
    ['99999999999', /too large/],
  ])('refuses %j', (raw, reason) => {
    const r = parseMilliseconds(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('parseEndpoint', () => {
  it.each([
    'https://otel-collector-opentelemetry-collector:4317',
    'http://10.0.0.7:4317',
    'http://[::1]:4317',
    'https://collector.example.com/otlp',
  ])('accepts %s', (raw) => expect(parseEndpoint(raw)).toEqual({ ok: true, value: raw }));
  it.each([
    ['otel-collector:4317', /scheme|not a URL/],
    ['grpc://collector:4317', /scheme must be http or https/],
    ['https://', /not a URL|no host/],
    ['https:collector:4317', /scheme:\/\/host/],
    ['https://user:pw@collector:4317', /credentials/],
    ['https://collector:4317/?x=1', /query/],
    ['https://collector:99999', /not a URL/],
  ])('refuses %s', (raw, reason) => {
    const r = parseEndpoint(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('names, keys, paths, ratios', () => {
  it.each([
    [parseObjectName, 'collector-ca', true],
    [parseObjectName, 'otel.ca-2', true],
    [parseObjectName, 'Collector_CA', false],
    [parseObjectName, '-ca', false],
    [parseObjectName, 'a'.repeat(254), false],
    [parseConfigMapKey, 'ca.crt', true],
    [parseConfigMapKey, 'root_CA-2.pem', true],
    [parseConfigMapKey, '..', false],
    [parseConfigMapKey, 'ca/crt', false],
    [parseMountPath, '/etc/collector', true],
    [parseMountPath, 'etc/collector', false],
    [parseMountPath, '/', false],
    [parseMountPath, '/etc/collector/', false],
    [parseMountPath, '/etc/../root', false],
    [parseMountPath, '/etc//x', false],
    [parseRatio, '0', true],
    [parseRatio, '0.25', true],
    [parseRatio, '1', true],
    [parseRatio, '.5', true],
    [parseRatio, '1.5', false],
    [parseRatio, '-0.1', false],
    [parseRatio, 'half', false],
    [parseRatio, 'NaN', false],
    [parseNameList, 'aigw,processor', true],
    [parseNameList, 'aigw, processor', true],
    [parseNameList, 'aigw,,x', false],
    [parseNameList, 'Aigw', false],
  ] as const)('%o(%j) ok=%s', (parse, raw, ok) => expect((parse as (r: string) => { ok: boolean })(raw).ok).toBe(ok));
});
