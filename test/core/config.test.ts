import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/config.js';

describe('configuration', () => {
  it('has defaults for everything but NAMESPACES_FILE, and freezes the result', () => {
    const r = readConfig({});
    expect(r).toMatchObject({
      ok: true,
      config: {
        port: 8443,
        adminPort: 9090,
        logLevel: 'info',
        namespacesFile: undefined,
        tlsCertFile: '/etc/aigw-otel-injector/tls/tls.crt',
      },
    });
    if (r.ok) expect(Object.isFrozen(r.config)).toBe(true);
  });

  it.each([
    [{}, undefined],
    [{ POD_NAMESPACE: 'aigw-otel-injector' }, { namespace: 'aigw-otel-injector', name: 'aigw-otel-injector' }],
    [
      { POD_NAMESPACE: 'ops', LEASE_NAME: 'otel-rollout' },
      { namespace: 'ops', name: 'otel-rollout' },
    ],
  ])('auto-rollout Lease from %o: %o', (env, lease) => {
    const r = readConfig(env);
    expect(r.ok && r.config.rolloutLease).toEqual(lease);
  });

  it.each([
    [{}, false],
    [{ AUTO_ROLLOUT: 'true' }, true],
    [{ AUTO_ROLLOUT: 'TRUE' }, true],
    [{ AUTO_ROLLOUT: 'false' }, false],
  ])('auto-rollout from %o: %s', (env, on) => {
    const r = readConfig(env);
    expect(r.ok && r.config.autoRollout).toBe(on);
  });

  it('reports every bad variable at once, by name', () => {
    const r = readConfig({ PORT: 'https', ADMIN_PORT: '70000', LOG_LEVEL: 'loud', TLS_CERT_FILE: ' ' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toHaveLength(4);
      expect(r.errors.join('\n')).toMatch(
        /PORT="https"[\s\S]*ADMIN_PORT="70000"[\s\S]*LOG_LEVEL="loud"[\s\S]*TLS_CERT_FILE/,
      );
    }
  });

  it.each([
    [{ PORT: '9443', ADMIN_PORT: '9443' }, /must differ/],
    [{ PORT: '-1' }, /PORT/],
    [{ PORT: '8443.5' }, /PORT/],
    [{ FILE_POLL_INTERVAL_MS: '5' }, /FILE_POLL_INTERVAL_MS="5" is not a whole number of milliseconds from 100/],
    [{ POD_NAMESPACE: 'Injector_NS' }, /POD_NAMESPACE="Injector_NS" is not a namespace name/],
    [{ POD_NAMESPACE: 'x', LEASE_NAME: 'Lease!' }, /LEASE_NAME="Lease!" is not a valid object name/],
    [{ AUTO_ROLLOUT: 'yes' }, /AUTO_ROLLOUT="yes" is not true or false/],
  ])('refuses %o', (env, message) => {
    const r = readConfig(env);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join()).toMatch(message);
  });
});
