import type { Clock } from '../kernel/clock.js';
import type { MigrationHistory } from './migration-files.js';
import { openPgSession } from './pg-session.js';
import { planMigrationStatus } from './plan-migration-status.js';
import { readMigrationRows, withPrismaAdvisoryLock } from './prisma-migrations-table.js';
import { replayMigrations } from './replay-migrations.js';
import { diffSchema, readSchemaSnapshot, type SchemaDifference } from './schema-snapshot.js';
import type { ScratchServer } from './scratch-server.js';

export interface DriftResult {
  environment: string;
  /** Applied migrations replayed into the scratch database. */
  replayed: string[];
  differences: SchemaDifference[];
  warnings: string[];
  durationMs: number;
}

/**
 * Replays the environment's applied migrations into a scratch database and compares both catalogs. The
 * environment's snapshot is read under Prisma's advisory lock, so an in-flight deploy is not reported.
 */
export async function runDriftCheck(
  options: {
    environment: string;
    url: string;
    history: MigrationHistory;
    lockTimeoutMs: number;
    statementTimeoutMs: number;
  },
  deps: { clock: Clock; scratch: ScratchServer },
): Promise<DriftResult> {
  const started = deps.clock.nowMs();
  const db = await openPgSession(options.url, 'prodguard db drift');
  let actual: Awaited<ReturnType<typeof readSchemaSnapshot>>;
  let status: ReturnType<typeof planMigrationStatus>;
  try {
    ({ actual, status } = await withPrismaAdvisoryLock(
      db,
      async () => {
        await db.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        try {
          const rows = await readMigrationRows(db);
          return {
            status: planMigrationStatus(options.history.migrations, rows),
            actual: await readSchemaSnapshot(db),
          };
        } finally {
          await db.exec('COMMIT').catch(() => {});
        }
      },
      { sleep: (ms) => deps.clock.sleep(ms), nowMs: () => deps.clock.nowMs() },
    ));
  } finally {
    await db.close();
  }
  const warnings: string[] = [];
  if (status.edited.length > 0)
    warnings.push(`edited after being applied (replayed as they are now): ${status.edited.join(', ')}`);
  if (status.missing.length > 0)
    warnings.push(`applied but missing from the history (cannot be replayed): ${status.missing.join(', ')}`);
  if (status.failed.length > 0)
    warnings.push(`failed migrations (not replayed): ${status.failed.join(', ')}`);
  const appliedNames = new Set(
    status.entries.filter((e) => e.state === 'applied' || e.state === 'edited').map((e) => e.name),
  );
  const applied = options.history.migrations.filter((m) => appliedNames.has(m.name));
  const scratch = await deps.scratch.createDatabase('prodguard_drift');
  try {
    const sdb = await openPgSession(scratch.url, 'prodguard db drift (scratch)');
    try {
      await replayMigrations(sdb, applied, options);
      const expected = await readSchemaSnapshot(sdb);
      return {
        environment: options.environment,
        replayed: applied.map((m) => m.name),
        differences: diffSchema(expected, actual),
        warnings,
        durationMs: Math.max(0, deps.clock.nowMs() - started),
      };
    } finally {
      await sdb.close();
    }
  } finally {
    await scratch.drop();
  }
}
