import { defineConfig } from 'vitest/config';

/** The unit group alone, for mutation testing (stryker.config.json): no root, no namespaces. */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    // instrumented code (every mutant switchable, coverage per test) runs several times slower
    testTimeout: 60_000,
  },
});
