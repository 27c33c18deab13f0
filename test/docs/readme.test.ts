import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mutatePod } from '../../src/admission/mutate-pods.js';
import { KEYS } from '../../src/core/annotations.js';
import { parseNamespaces } from '../../src/namespaces/parse-file.js';

const readme = readFileSync('README.md', 'utf8');
/** The backticked first cell of each row of the README's annotation tables. */
const documented = [...readme.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);

describe('README', () => {
  it('lists exactly the annotation keys the code knows', () => {
    const known = Object.keys(KEYS).sort();
    expect([...documented].sort()).toEqual(known);
  });

  it("shows the curl example's patch exactly as the server returns it for the example review", async () => {
    const after = readme.slice(readme.indexOf('--data @examples/review-core-pod.json'));
    const shown = /```json\n([\s\S]*?)\n```/.exec(after)?.[1] ?? '';
    const namespaces = parseNamespaces(readFileSync('examples/namespaces.yaml', 'utf8'));
    const review = JSON.parse(readFileSync('examples/review-core-pod.json', 'utf8')) as {
      request: Parameters<typeof mutatePod>[0];
    };
    const outcome = await mutatePod(review.request, {
      lookup: (name) => (namespaces.ok ? namespaces.value.get(name) : undefined),
    });
    const patch = JSON.parse(Buffer.from(outcome.response.patch ?? '', 'base64').toString()) as unknown;
    expect(JSON.parse(shown)).toEqual(patch);
  });

  it('writes out the two commands a newcomer runs', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });

  it('names, in each row of "What each SDK makes of it", the real-SDK tests that check it, and they exist', () => {
    const section = readme.slice(readme.indexOf('#### What each SDK makes of it'));
    const table = section.slice(section.indexOf('\n| variable |'), section.indexOf('\n\n', section.indexOf('\n|')));
    const rows = table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| variable'));
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) {
      const lastCell = row.split(' | ').at(-1) ?? '';
      const named = [...lastCell.matchAll(/`([a-z-]+\.test\.ts)`/g)].map((m) => m[1]);
      expect(named.length, row).toBeGreaterThan(0);
      for (const file of named) expect(existsSync(`test/real-sdk/${file}`), `${file} in: ${row}`).toBe(true);
    }
  });
});
