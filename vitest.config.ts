import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores in CI: integration tests spawn servers and CLIs of their own.
    maxWorkers: 2,
    // Built releases live outside each project's tree; in tests, under the temp folder, not in ~/.local/state.
    env: { PRODGUARD_STATE_HOME: join(tmpdir(), 'prodguard-test-state') },
  },
});
