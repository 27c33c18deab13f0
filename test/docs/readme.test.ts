import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KEYS } from '../../src/core/annotations.js';

const readme = readFileSync('README.md', 'utf8');
/** The backticked first cell of each row of the README's annotation tables. */
const documented = [...readme.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);

describe('README', () => {
  it('lists exactly the annotation keys the code knows', () => {
    const known = Object.keys(KEYS).sort();
    expect([...documented].sort()).toEqual(known);
  });

  it('writes out the two commands a newcomer runs', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});
