import { defineConfig } from 'vitest/config';

// The fast tests that exercise src/core, for StrykerJS (npm run mutation): no processes, no cluster stand-ins.
export default defineConfig({
  test: {
    include: [
      'test/core/**/*.test.ts',
      'test/http/injection.test.ts',
      'test/http/validate-namespaces.test.ts',
      'test/http/protocol.test.ts',
      'test/property/**/*.test.ts',
      'test/cli/inject-yaml.test.ts',
      'test/namespaces/parse-file.test.ts',
      'test/manifests/match-conditions.test.ts',
      'test/docs/**/*.test.ts',
    ],
    // 300 generated cases per mutant instead of 10,000: enough to kill what the property catches, in minutes.
    // A fixed seed: the same cases every run, so an incremental run's reused results stay true.
    env: { PROPERTY_RUNS: '300', FC_SEED: '20261130' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
