import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Servers under test bind real ports and generate certificates; a slow CI machine needs headroom.
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
