import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { stringify } from 'yaml';
import { readConfig, type Config } from '../../src/config/config.js';
import { startInjector, type Injector, type InjectorOptions } from '../../src/injector.js';
import { createLogger } from '../../src/observability/logger.js';

export interface DevCerts {
  dir: string;
  ca: Buffer;
  certFile: string;
  keyFile: string;
}

/** A fresh development CA and serving certificate from the project's own script. */
export function makeCerts(dir = mkdtempSync(join(tmpdir(), 'aigw-certs-'))): DevCerts {
  execFileSync('bash', ['certs/generate.sh', '--out', dir, '--quiet'], { stdio: 'inherit' });
  return { dir, ca: readFileSync(join(dir, 'ca.crt')), certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
}

/** A namespaces file holding one Namespace per entry, with the prefix added to each key. */
export function namespacesYaml(namespaces: Record<string, Record<string, string>>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: Object.entries(namespaces).map(([name, annotations]) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, annotations },
    })),
  });
}

export interface TestInjector {
  injector: Injector;
  url: string;
  adminUrl: string;
  certs: DevCerts;
  namespacesFile: string;
  /** Every log line written so far, as text. */
  logs: () => string;
  post: (body: unknown, path?: string) => request.Test;
  stop: () => Promise<void>;
}

/**
 * The real injector on free ports, logging into memory: standalone on a namespaces file made from `yaml`,
 * or in cluster mode (yaml undefined) against `options.kubeConfig`.
 */
export async function startTestInjector(
  yaml: string | undefined,
  env: Record<string, string> = {},
  options: InjectorOptions = {},
): Promise<TestInjector> {
  const certs = makeCerts();
  const namespacesFile = join(certs.dir, 'namespaces.yaml');
  if (yaml !== undefined) writeFileSync(namespacesFile, yaml);
  const result = readConfig({
    PORT: '0',
    ADMIN_PORT: '0',
    TLS_CERT_FILE: certs.certFile,
    TLS_KEY_FILE: certs.keyFile,
    ...(yaml === undefined ? {} : { NAMESPACES_FILE: namespacesFile }),
    LOG_LEVEL: 'info',
    // The collector probe connects to the endpoints namespaces name (a DNS lookup of `collector`, say): only the
    // tests that make their own Collectors on loopback turn it on.
    COLLECTOR_PROBE: 'false',
    ...env,
  });
  if (!result.ok) throw new Error(result.errors.join('; '));
  const config: Config = result.config;
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const injector = await startInjector(config, createLogger(config.logLevel, sink), options);
  const url = `https://localhost:${injector.webhookPort}`;
  return {
    injector,
    url,
    adminUrl: `http://127.0.0.1:${injector.adminPort}`,
    certs,
    namespacesFile,
    logs: () => lines.join(''),
    post: (body, path = '/mutate-pods?timeout=10s') =>
      request(url).post(path).ca(certs.ca).set('Content-Type', 'application/json').send(JSON.stringify(body)),
    stop: () => injector.stop(),
  };
}
