import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NEEDS_REAL_PARTS } from '../../vitest.fast.config.js';

// `npm run test:fast` leaves out the tests that run a built real part; a test that does and is not listed would
// make the fast suite fail (under CI) or skip (elsewhere) instead of staying fast and self-contained.
const root = resolve(import.meta.dirname, '../..');
const REAL_PARTS = join(root, 'test/helpers/real-parts.ts');

const testFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === 'node_modules' || e.name === 'fixture'
        ? []
        : testFiles(join(dir, e.name))
      : e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );

/** Whether a file imports, directly or through test code, the module that locates the built parts. */
const reachesRealParts = (file: string, seen = new Set<string>()): boolean => {
  if (file === REAL_PARTS) return true;
  if (seen.has(file) || !existsSync(file)) return false;
  seen.add(file);
  const relativeImports = [...readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((m) => m[1] ?? '');
  return relativeImports
    .map((i) => resolve(dirname(file), i).replace(/\.js$/, '.ts'))
    .filter((p) => !p.startsWith(join(root, 'src')))
    .some((p) => reachesRealParts(p, seen));
};

const listed = (file: string) => NEEDS_REAL_PARTS.some((p) => file === p || file.startsWith(`${p}/`));
const all = testFiles(join(root, 'test')).map((f) => relative(root, f));

describe('the fast suite (npm run test:fast)', () => {
  it('finds the tests that run real parts (the check itself works)', () => {
    expect(reachesRealParts(join(root, 'test/real-node/install.test.ts'))).toBe(true);
    expect(reachesRealParts(join(root, 'test/core/decide.test.ts'))).toBe(false);
  });

  it('leaves out every test that reaches the real parts', () => {
    const missing = all.filter((f) => reachesRealParts(join(root, f)) && !listed(f));
    expect(missing).toEqual([]);
  });

  it('lists only paths that exist', () => {
    expect(NEEDS_REAL_PARTS.filter((p) => !existsSync(join(root, p)))).toEqual([]);
  });
});
