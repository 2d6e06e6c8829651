import { defineConfig } from 'vitest/config';

/**
 * The platform tests need no PostgreSQL: this config runs them without the shared cluster setup
 * (`npx vitest run --config test/integration/platform/vitest.config.ts`). The root config runs them too.
 */
export default defineConfig({
  test: {
    root: new URL('../../..', import.meta.url).pathname,
    include: ['test/integration/platform/**/*.test.ts', 'src/platform/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
