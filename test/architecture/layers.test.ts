import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const filesIn = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesIn(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? '');

/** The functional core decides and builds patches from data alone: no HTTP, logging, files, clock or cluster. */
const FORBIDDEN_IN_PURE = [
  /^express$/,
  /^pino$/,
  /^@kubernetes\/client-node$/,
  /^(node:)?fs(\/promises)?$/,
  /^(node:)?(http|https|net|tls)$/,
  /\/(http|kube|namespaces|tls|observability|config)\//,
];

describe('layers', () => {
  it.each([...filesIn('src/core'), ...filesIn('src/admission')])('%s imports nothing from the shell', (file) => {
    const bad = importsOf(file).filter((i) => FORBIDDEN_IN_PURE.some((re) => re.test(i)));
    expect(bad).toEqual([]);
  });

  it('only main.ts exits the process or reads process.env', () => {
    const offenders = filesIn('src').filter(
      (f) => !f.endsWith('main.ts') && /process\.exit\(|process\.env\b/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
