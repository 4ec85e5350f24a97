import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/support/scratch-cleanup.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // real namespaces and real traffic: one file at a time, nothing measured in parallel
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
          globalSetup: ['test/integration/global-setup.ts'],
          // a background `bench` still running when its test ends is killed as a group, cleaned, and fails the test
          setupFiles: ['test/support/background-guard.ts', 'test/support/scratch-cleanup.ts'],
        },
      },
    ],
  },
});
