// `prisma generate` that works on a machine reaching only the npm registry (CI, air-gapped mirrors).
// Prisma 7's client runs on the WASM query compiler and needs no engine binary, but the CLI still looks
// for its schema engine and tries to download it from binaries.prisma.sh. Pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any executable skips that download; generation never runs it.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let cli;
try {
  cli = createRequire(join(appDir, 'package.json')).resolve('prisma/build/index.js');
} catch {
  // `npm ci --omit=dev` (a production image) has no Prisma CLI: the client was generated at build time.
  console.log(
    'cvstomize-api: the prisma CLI is not installed (production install); skipping prisma generate',
  );
  process.exit(0);
}
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY:
    process.env.PRISMA_SCHEMA_ENGINE_BINARY || join(appDir, 'scripts', 'no-schema-engine'),
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1', // no telemetry request to checkpoint.prisma.io
};
const result = spawnSync(
  process.execPath,
  [cli, 'generate', '--schema', join(appDir, 'prisma', 'schema.prisma')],
  {
    cwd: appDir,
    env,
    stdio: 'inherit',
    timeout: 120_000,
  },
);
if (result.status !== 0) {
  console.error(
    `cvstomize-api: prisma generate failed (${result.error?.message ?? `exit ${result.status}`})`,
  );
  process.exit(1);
}
