import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests that run a built real part (test/real/build.sh: the control plane, the node, helm, the Collector, the
 * SDK programs, Prometheus, cert-manager, our image), as folders or files. `npm run test:fast` runs every other test:
 * no build, a few minutes. test/architecture/fast-suite.test.ts fails when a test that reaches the real parts is
 * not in this list.
 */
export const NEEDS_REAL_PARTS = [
  'test/real-cluster',
  'test/real-node',
  'test/real-sdk',
  'test/image',
  'test/prometheus',
  'test/helm',
  'test/manifests/manifests.test.ts',
  'test/manifests/monitoring.test.ts',
  'test/manifests/starts-as-kubelet.test.ts',
  'test/probe/real-collector.test.ts',
  'test/harness/process/lifetime.test.ts',
  'test/harness/process/kubectl-input.test.ts',
];

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...configDefaults.exclude, ...NEEDS_REAL_PARTS.map((p) => (p.endsWith('.ts') ? p : `${p}/**`))],
      // The coverage floor is the whole suite's (npm test); a part of it is not held to it.
      coverage: { enabled: false },
    },
  }),
);
