// The Google Cloud tour against the in-repo HTTP fakes of Cloud Run, Secret Manager, Cloud SQL Admin,
// Monitoring and Logging: `node scripts/demo-gcp-fake.mjs`. The fakes are test code (never in dist/),
// so this bundles the tour with esbuild into a temporary file first.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

// Inside node_modules/.cache so the bundle's external packages resolve from this repository.
mkdirSync('node_modules/.cache', { recursive: true });
const dir = mkdtempSync(join('node_modules/.cache', 'prodguard-gcp-demo-'));
try {
  const outfile = join(dir, 'demo.mjs');
  await build({
    entryPoints: ['test/fakes/gcp/demo-gcp-fake.ts'],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'warning',
    packages: 'external',
  });
  await import(pathToFileURL(join(process.cwd(), outfile)).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
