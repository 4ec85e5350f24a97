import { defineConfig } from 'vitest/config';

/** The unit group alone, for mutation testing (stryker.config.json): no root, no namespaces. */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['test/support/scratch-cleanup.ts'],
    // instrumented code (every mutant switchable, coverage per test) runs several times slower
    testTimeout: 60_000,
  },
});
