import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError, UsageError } from '../kernel/errors.js';
import type { MigrationHistory } from './migration-files.js';
import { openPgSession } from './pg-session.js';
import {
  ensureMigrationsTable,
  readMigrationRows,
  recordMigrationMarkedApplied,
  recordMigrationRolledBack,
  withPrismaAdvisoryLock,
} from './prisma-migrations-table.js';

export interface MigrateResolveOptions {
  environment: string;
  url: string;
  history: MigrationHistory;
  name: string;
  as: 'applied' | 'rolled-back';
}

/**
 * `prisma migrate resolve` semantics. --applied: the migration must exist in the history and not already be
 * applied; failed attempts are marked rolled back and a finished row is written. --rolled-back: the
 * migration must have a failed attempt, which gets rolled_back_at.
 */
export async function runMigrateResolve(
  options: MigrateResolveOptions,
  deps: { clock: Clock; audit: AuditLog; actor: string },
): Promise<{ name: string; as: 'applied' | 'rolled-back'; rowsChanged: number }> {
  const db = await openPgSession(options.url, 'prodguard migrate resolve');
  try {
    return await withPrismaAdvisoryLock(
      db,
      async () => {
        await ensureMigrationsTable(db);
        const rows = (await readMigrationRows(db)).filter(
          (r) => r.migrationName === options.name && r.rolledBackAt === null,
        );
        const failed = rows.filter((r) => r.finishedAt === null);
        let rowsChanged = 0;
        if (options.as === 'applied') {
          const file = options.history.migrations.find((m) => m.name === options.name);
          if (!file)
            throw new UsageError(
              'PRODGUARD_MIGRATE_UNKNOWN',
              `Migration ${options.name} is not in ${options.history.dir} (Prisma: P3017).`,
              { hint: 'Pass the folder name exactly, e.g. 20260101120000_add_users.' },
            );
          if (rows.some((r) => r.finishedAt !== null))
            throw new ProdguardError(
              'PRODGUARD_MIGRATE_ALREADY_APPLIED',
              `Migration ${options.name} is already recorded as applied on ${options.environment} (Prisma: P3008).`,
              { kind: 'usage' },
            );
          for (const row of failed) {
            await recordMigrationRolledBack(db, row.id);
            rowsChanged++;
          }
          await recordMigrationMarkedApplied(db, options.name, file.checksum);
          rowsChanged++;
        } else {
          if (failed.length === 0)
            throw new ProdguardError(
              'PRODGUARD_MIGRATE_NOT_FAILED',
              `Migration ${options.name} is not in a failed state on ${options.environment} (Prisma: P3012).`,
              {
                kind: 'usage',
                hint: 'Only a failed migration can be marked rolled back; to undo an applied one use `prodguard migrate rollback`.',
              },
            );
          for (const row of failed) {
            await recordMigrationRolledBack(db, row.id);
            rowsChanged++;
          }
        }
        deps.audit.append({
          actor: deps.actor,
          environment: options.environment,
          action: 'migrate.resolve',
          target: options.name,
          outcome: 'success',
          details: { as: options.as, rowsChanged },
        });
        return { name: options.name, as: options.as, rowsChanged };
      },
      { sleep: (ms) => deps.clock.sleep(ms), nowMs: () => deps.clock.nowMs() },
    );
  } finally {
    await db.close();
  }
}
