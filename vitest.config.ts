import { defineConfig } from 'vitest/config';

// Two projects: fast unit/golden/peer tests run in parallel; integration tests (root, real
// namespaces and packets) run one file at a time so their timings and CPU use stay sane.
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/peer/**/*.test.ts'], testTimeout: 60_000, pool: 'forks' },
      },
      {
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 180_000, pool: 'forks', poolOptions: { forks: { singleFork: true } } },
      },
    ],
  },
});
