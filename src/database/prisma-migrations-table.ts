import { randomUUID } from 'node:crypto';
import { ProdguardError } from '../kernel/errors.js';
import type { PgSession } from './pg-session.js';

/** Prisma Migrate's advisory lock key: prodguard and `prisma migrate deploy` serialize on it. */
export const PRISMA_ADVISORY_LOCK_KEY = 72707369;

/** Byte for byte the DDL Prisma's schema engine runs on PostgreSQL. */
export const PRISMA_MIGRATIONS_TABLE_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

/** One row of `_prisma_migrations`: one attempt to apply one migration. */
export interface MigrationRow {
  id: string;
  checksum: string;
  finishedAt: Date | null;
  migrationName: string;
  logs: string | null;
  rolledBackAt: Date | null;
  startedAt: Date;
  appliedStepsCount: number;
}

export async function migrationsTableExists(db: PgSession): Promise<boolean> {
  const { rows } = await db.query<{ exists: boolean }>(
    "SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists",
  );
  return rows[0]?.exists === true;
}

export async function ensureMigrationsTable(db: PgSession): Promise<void> {
  if (!(await migrationsTableExists(db))) await db.exec(PRISMA_MIGRATIONS_TABLE_DDL);
}

/** Every attempt, in the order Prisma reads them (started_at). Missing table: no rows. */
export async function readMigrationRows(db: PgSession): Promise<MigrationRow[]> {
  if (!(await migrationsTableExists(db))) return [];
  const { rows } = await db.query<{
    id: string;
    checksum: string;
    finished_at: Date | null;
    migration_name: string;
    logs: string | null;
    rolled_back_at: Date | null;
    started_at: Date;
    applied_steps_count: number;
  }>('SELECT * FROM _prisma_migrations ORDER BY started_at ASC');
  return rows.map((r) => ({
    id: r.id,
    checksum: r.checksum,
    finishedAt: r.finished_at,
    migrationName: r.migration_name,
    logs: r.logs,
    rolledBackAt: r.rolled_back_at,
    startedAt: r.started_at,
    appliedStepsCount: r.applied_steps_count,
  }));
}

/** Inserts the row Prisma writes before running a script; returns its id. */
export async function recordMigrationStarted(db: PgSession, name: string, checksum: string): Promise<string> {
  const id = randomUUID();
  await db.query(
    'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
    [id, checksum, name],
  );
  return id;
}

/** The UPDATE Prisma runs after a script succeeds; sent inside the migration's own transaction. */
export function migrationFinishedSql(id: string): string {
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`not a migration row id: ${id}`);
  return `UPDATE _prisma_migrations SET finished_at = clock_timestamp(), applied_steps_count = applied_steps_count + 1 WHERE id = '${id}'`;
}

export async function recordMigrationFailed(db: PgSession, id: string, logs: string): Promise<void> {
  await db.query('UPDATE _prisma_migrations SET logs = $2 WHERE id = $1', [id, logs]);
}

export async function recordMigrationRolledBack(db: PgSession, id: string): Promise<void> {
  await db.query('UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = $1', [id]);
}

/** `prisma migrate resolve --applied`: a finished row with no steps run by the engine. */
export async function recordMigrationMarkedApplied(
  db: PgSession,
  name: string,
  checksum: string,
): Promise<string> {
  const id = randomUUID();
  await db.query(
    'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES ($1, $2, $3, now(), now(), 0)',
    [id, checksum, name],
  );
  return id;
}

/**
 * Holds Prisma's advisory lock while fn runs. Waits up to timeoutMs, as Prisma waits 10s, then fails naming
 * who holds it.
 */
export async function withPrismaAdvisoryLock<T>(
  db: PgSession,
  fn: () => Promise<T>,
  options: { timeoutMs?: number; sleep: (ms: number) => Promise<void>; nowMs: () => number },
): Promise<T> {
  const deadline = options.nowMs() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const { rows } = await db.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      PRISMA_ADVISORY_LOCK_KEY,
    ]);
    if (rows[0]?.locked) break;
    if (options.nowMs() >= deadline) {
      // An advisory lock belongs to one database: another database of the same server (a shared
      // instance) may hold the same key at the same moment, and must not be named.
      const holder = await db.query<{ pid: number; application_name: string }>(
        "SELECT l.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1 AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [PRISMA_ADVISORY_LOCK_KEY],
      );
      const who = holder.rows[0];
      throw new ProdguardError(
        'PRODGUARD_MIGRATE_LOCKED',
        `Another migration run holds the migration advisory lock (${PRISMA_ADVISORY_LOCK_KEY})${who ? `: pid ${who.pid}, application "${who.application_name}"` : ''}.`,
        {
          kind: 'refused',
          hint: 'Wait for the other `prisma migrate deploy` or `prodguard migrate deploy` to finish, then retry.',
        },
      );
    }
    await options.sleep(200);
  }
  try {
    return await fn();
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]).catch(() => {});
  }
}
