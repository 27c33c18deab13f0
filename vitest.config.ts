import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A worker whose runner was killed kills itself, and with it what its tests started.
    setupFiles: ['test/harness/process/exit-with-runner.ts'],
    // Three files at a time. Vitest's default is one fewer than the cores: one on this project's two-core machines,
    // so the suite ran file after file while most of them wait on processes they started (a control plane, a node,
    // a rollout, an export interval), not on CPU. Files that need the one real node take turns by its lock.
    maxWorkers: 3,
    // Servers under test bind real ports and generate certificates; a slow CI machine needs headroom.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // Wiring only; run as a process by test/process and test/cli, where v8 coverage does not reach.
      exclude: ['src/main.ts'],
      reporter: ['text-summary', 'text', 'json-summary'],
      // The floor the project holds itself to; CI fails below it.
      thresholds: { lines: 90 },
    },
  },
});
