import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestRole, type TestRole } from '../runtime/runtime-fixtures.js';
import { APP_DIR, dbEnv, runScript } from './example-app-fixtures.js';

const MIGRATIONS = join(APP_DIR, 'prisma', 'migrations');

describe('examples/cvstomize-api migrations', () => {
  let role: TestRole;
  let work: string;
  let client: pg.Client;
  beforeEach(async () => {
    role = await createTestRole('mig');
    work = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.work-'));
    client = new pg.Client({
      host: role.host,
      port: role.port,
      user: role.user,
      password: role.password,
      database: role.database.name,
    });
    await client.connect();
  });
  afterEach(async () => {
    await client.end();
    rmSync(work, { recursive: true, force: true });
    await role.drop();
  });
  const tables = async () =>
    (
      await client.query<{ tablename: string }>(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
      )
    ).rows.map((r) => r.tablename);

  it('every migration has a down.sql, and applying them in reverse order undoes the schema', async () => {
    const names = readdirSync(MIGRATIONS, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(readFileSync(join(MIGRATIONS, 'migration_lock.toml'), 'utf8')).toContain(
      'provider = "postgresql"',
    );

    const migrate = await runScript(join(APP_DIR, 'scripts', 'migrate.mjs'), ['deploy'], dbEnv(role));
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toContain('All migrations have been successfully applied.');
    expect(await tables()).toEqual([
      '_prisma_migrations',
      'generated_resumes',
      'resumes',
      'templates',
      'users',
    ]);

    for (const name of [...names].reverse()) {
      await client.query(readFileSync(join(MIGRATIONS, name, 'down.sql'), 'utf8'));
    }
    expect(await tables()).toEqual(['_prisma_migrations']);
  });

  it('records a failing migration as failed (logs, no finished_at), rolls its statements back, and refuses to go on', async () => {
    const copy = join(work, 'app');
    cpSync(APP_DIR, copy, { recursive: true });
    const bad = join(copy, 'prisma', 'migrations', '20251120000000_broken');
    mkdirSync(bad);
    writeFileSync(
      join(bad, 'migration.sql'),
      'CREATE TABLE "half_done" ("id" INT);\nALTER TABLE "no_such_table" ADD COLUMN "x" INT;\n',
    );
    const script = join(copy, 'scripts', 'migrate.mjs');
    const first = await runScript(script, ['deploy'], dbEnv(role));
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(
      'migration 20251120000000_broken failed: relation "no_such_table" does not exist',
    );
    expect(first.stderr).toContain('SQLSTATE 42P01');
    expect(await tables()).not.toContain('half_done');
    const { rows } = await client.query(
      "SELECT finished_at, logs FROM _prisma_migrations WHERE migration_name = '20251120000000_broken'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].finished_at).toBeNull();
    expect(rows[0].logs).toContain('no_such_table');

    const second = await runScript(script, ['deploy'], dbEnv(role));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('found failed migrations in the target database: 20251120000000_broken');

    const status = await runScript(script, ['status'], dbEnv(role));
    expect(status.code).toBe(1);
  });

  it('status lists pending migrations and exits 1 before deploy; bad configuration exits 2', async () => {
    const status = await runScript(join(APP_DIR, 'scripts', 'migrate.mjs'), ['status'], dbEnv(role));
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('· pending  20251101090000_init');
    expect(status.stdout).toContain('2 migration(s) have not yet been applied.');

    const noDb = await runScript(join(APP_DIR, 'scripts', 'migrate.mjs'), ['deploy'], {});
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toContain('No database configured');
  });
});
