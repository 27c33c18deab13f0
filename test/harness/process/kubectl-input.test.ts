/**
 * The tests' kubectl helper when kubectl exits without reading its input (a call that fails at once): the closed
 * pipe must not become an uncaught EPIPE that vitest reports against whichever test runs then. Seen four times in
 * one run of the whole suite beside a cold build; reproduced here with an input larger than a pipe's buffer.
 */
import { describe, expect, it } from 'vitest';
import { runKubectl } from '../../helpers/control-plane.js';
import { haveRealParts } from '../../helpers/real-parts.js';

// Larger than a pipe's 64 KiB buffer: the write is still pending when kubectl exits.
const INPUT = 'x'.repeat(4 * 1024 * 1024);

describe.skipIf(!haveRealParts('kubectl'))('kubectl given input it never reads', () => {
  it.each([
    ['exits 0 without reading (version --client)', ['version', '--client'], 0],
    ['fails at once without reading (an unknown command)', ['no-such-command'], 1],
  ] as const)('%s: the outcome is its exit code, no uncaught EPIPE', async (_name, args, code) => {
    const result = await runKubectl(args, { input: INPUT, allowFailure: true });
    expect(result.code).toBe(code);
  });
});
