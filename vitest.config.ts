import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const runtimeSrc = fileURLToPath(new URL('./packages/runtime/src/', import.meta.url));

export default defineConfig({
  // Tests see the workspace runtime's source, as the typecheck does (child processes load its dist).
  resolve: {
    alias: [
      { find: /^@prodguard\/runtime$/, replacement: `${runtimeSrc}index.ts` },
      { find: /^@prodguard\/runtime\/(.*)$/, replacement: `${runtimeSrc}$1.ts` },
    ],
  },
  test: {
    include: [
      'src/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/**/*.test.ts',
      'packages/*/src/**/*.test.ts',
    ],
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
