import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { spawnTied } from '../harness/process/spawn.js';

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

/** Runs the built server (`dist/main.js`) as its own process with the given environment; it dies with this one. */
export function runMain(env: Record<string, string>, args: string[] = []): Running {
  const child = spawnTied(process.execPath, ['dist/main.js', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    atMs: Date.now(),
  }));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves once the text appears in the process's stdout, or rejects when it exits first. */
export async function waitFor(running: Running, text: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!running.stdout().includes(text)) {
    if (running.child.exitCode !== null) throw new Error(`exited: ${running.stderr()}${running.stdout()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" in time: ${running.stdout()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A port the kernel just gave out as free (bound, then released): random ports collide with ephemeral ones. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
