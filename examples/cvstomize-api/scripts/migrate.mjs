#!/usr/bin/env node
// Applies prisma/migrations/*/migration.sql the way `prisma migrate deploy` does, and records them in
// `_prisma_migrations` with Prisma's columns and checksums, so Prisma (or prodguard) can take over later.
// Differences from Prisma, on purpose: each migration runs in a transaction (a failed migration leaves
// no half-applied schema; statements that cannot run in a transaction, such as CREATE INDEX
// CONCURRENTLY, are therefore not supported here).
//
//   node scripts/migrate.mjs [deploy|status]     database from DATABASE_URL or DB_* (see README.md)
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRuntime } from '../src/load-runtime.js';

const appDir = dirname(dirname(fileURLToPath(import.meta.url)));
const migrationsDir = join(appDir, 'prisma', 'migrations');
// The advisory lock key Prisma Migrate takes, so this script and Prisma never run at the same time.
const PRISMA_ADVISORY_LOCK = 72707369;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

function readMigrations() {
  const lock = join(migrationsDir, 'migration_lock.toml');
  if (!existsSync(lock) || !/provider\s*=\s*"postgresql"/.test(readFileSync(lock, 'utf8'))) {
    fail(`${lock} must exist and say provider = "postgresql"`);
  }
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(migrationsDir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(migrationsDir, name, 'migration.sql'));
      return { name, sql: sql.toString('utf8'), checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

function fail(message, code = 1) {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(code);
}

const command = process.argv[2] ?? 'deploy';
if (!['deploy', 'status'].includes(command))
  fail(`unknown command "${command}" (expected deploy or status)`, 2);

const migrations = readMigrations();
const runtime = await loadRuntime(process.env, appDir);
let poolOptions;
try {
  poolOptions = runtime.poolOptionsFromEnv(process.env);
} catch (error) {
  fail(error.message, 2);
}
const pool = runtime.createPool({ ...poolOptions, max: 1, applicationName: 'cvstomize-api migrate' });
const client = await pool
  .connect()
  .catch((error) => fail(`cannot connect to the database: ${error.message}`));
let exitCode = 0;
try {
  await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
  await client.query(CREATE_TABLE);
  const { rows } = await client.query(
    'SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" ORDER BY started_at',
  );
  const failed = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed.length > 0) {
    const names = failed.map((r) => r.migration_name).join(', ');
    throw new Error(
      `found failed migrations in the target database: ${names}. New migrations will not be applied. ` +
        'Fix the database by hand (see its down.sql) and mark it rolled back (`prisma migrate resolve --rolled-back <name>`) before deploying again.',
    );
  }
  const applied = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r]));
  for (const m of migrations) {
    const row = applied.get(m.name);
    if (row && row.checksum !== m.checksum) {
      process.stderr.write(
        `warning: migration ${m.name} was modified after it was applied (checksum differs)\n`,
      );
    }
  }
  const pending = migrations.filter((m) => !applied.has(m.name));

  if (command === 'status') {
    process.stdout.write(`${migrations.length} migrations found in prisma/migrations\n`);
    for (const m of migrations)
      process.stdout.write(`  ${applied.has(m.name) ? '✓ applied' : '· pending'}  ${m.name}\n`);
    if (pending.length > 0) {
      process.stdout.write(`\n${pending.length} migration(s) have not yet been applied.\n`);
      exitCode = 1;
    } else {
      process.stdout.write('\nDatabase schema is up to date!\n');
    }
  } else if (pending.length === 0) {
    process.stdout.write('No pending migrations to apply.\n');
  } else {
    process.stdout.write(
      `${migrations.length} migrations found in prisma/migrations\n\nApplying migrations:\n`,
    );
    for (const m of pending) {
      const id = randomUUID();
      await client.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
        [id, m.checksum, m.name],
      );
      try {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query(
          'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
          [id],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        const detail = [
          error.message,
          error.code && `SQLSTATE ${error.code}`,
          error.position && `position ${error.position}`,
        ]
          .filter(Boolean)
          .join(', ');
        await client.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, detail]);
        throw new Error(`migration ${m.name} failed: ${detail}`);
      }
      process.stdout.write(`  └─ ${m.name}/migration.sql\n`);
    }
    process.stdout.write('\nAll migrations have been successfully applied.\n');
  }
} catch (error) {
  process.stderr.write(`Error: ${error.message}\n`);
  exitCode = 1;
} finally {
  await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => {});
  client.release();
  await pool.end();
}
process.exitCode = exitCode;
