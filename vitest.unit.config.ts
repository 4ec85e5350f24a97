import { defineConfig } from 'vitest/config';

/** The unit group alone, for mutation testing (stryker.config.json): no root, no namespaces. */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
  },
});
