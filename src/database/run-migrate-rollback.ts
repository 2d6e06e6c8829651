import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError, UsageError } from '../kernel/errors.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import { type StateStore, withEnvironmentLock } from '../store/index.js';
import { applyMigrationScript, sqlLiteral } from './apply-migration-script.js';
import { type BackupRecord, readRollbackVerification } from './database-records.js';
import type { MigrationHistory } from './migration-files.js';
import { describePgError, openPgSession } from './pg-session.js';
import { planMigrationStatus } from './plan-migration-status.js';
import { prismaChecksum } from './prisma-checksum.js';
import { readMigrationRows, withPrismaAdvisoryLock } from './prisma-migrations-table.js';
import { runBackup } from './run-backup.js';

export interface MigrateRollbackOptions {
  environment: string;
  url: string;
  final: boolean;
  history: MigrationHistory;
  name: string;
  backupsDir: string;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * Runs the verified down.sql of the newest applied migration and marks its row rolled back, so Prisma sees
 * it as not applied. The final environment gets a backup first.
 */
export async function runMigrateRollback(
  options: MigrateRollbackOptions,
  deps: {
    clock: Clock;
    store: StateStore;
    audit: AuditLog;
    actor: string;
    processes: ProcessRunner;
    cwd: string;
    env: NodeJS.ProcessEnv;
  },
): Promise<{ name: string; backup?: BackupRecord; durationMs: number }> {
  const migration = options.history.migrations.find((m) => m.name === options.name);
  if (!migration)
    throw new UsageError(
      'PRODGUARD_MIGRATE_UNKNOWN',
      `Migration ${options.name} is not in ${options.history.dir}.`,
      {
        hint: 'Pass the folder name exactly; `prodguard migrate status` lists them.',
      },
    );
  const refuse = (message: string, hint: string) => {
    deps.audit.append({
      actor: deps.actor,
      environment: options.environment,
      action: 'migrate.rollback',
      target: options.name,
      outcome: 'refused',
      details: { problem: message },
    });
    return new ProdguardError('PRODGUARD_MIGRATE_ROLLBACK_REFUSED', message, { kind: 'refused', hint });
  };
  if (!migration.downSql)
    throw refuse(
      `${options.name} has no down.sql.`,
      'Write down.sql, verify it, then roll back; or restore a backup.',
    );
  const verification = readRollbackVerification(deps.store, {
    environment: options.environment,
    migration: migration.name,
    checksum: migration.checksum,
    downChecksum: prismaChecksum(migration.downSql),
  });
  if (!verification?.ok)
    throw refuse(
      `The down.sql of ${options.name} was not verified on ${options.environment}'s history${verification ? ' (its verification failed)' : ''}.`,
      `Run \`prodguard migrate verify-rollback ${options.environment}\` before the migration is deployed there.`,
    );
  return withEnvironmentLock(
    deps.store,
    { environment: options.environment, operation: 'migrate rollback', owner: deps.actor, clock: deps.clock },
    async () => {
      const started = deps.clock.nowMs();
      const db = await openPgSession(options.url, 'prodguard migrate rollback');
      try {
        const status = planMigrationStatus(options.history.migrations, await readMigrationRows(db));
        const applied = status.entries
          .filter((e) => e.state === 'applied' || e.state === 'edited')
          .map((e) => e.name);
        if (applied.at(-1) !== options.name)
          throw refuse(
            `${options.name} is not the newest applied migration on ${options.environment} (newest: ${applied.at(-1) ?? 'none'}).`,
            'Roll back newest first, one at a time.',
          );
        const backup = options.final
          ? await runBackup(
              {
                environment: options.environment,
                url: options.url,
                dir: options.backupsDir,
                reason: `before rollback of ${options.name}`,
              },
              deps,
            )
          : undefined;
        await withPrismaAdvisoryLock(
          db,
          async () => {
            try {
              await applyMigrationScript(db, migration.downSql!, {
                lockTimeoutMs: options.lockTimeoutMs,
                statementTimeoutMs: options.statementTimeoutMs,
                afterScriptSql: `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = ${sqlLiteral(options.name)} AND finished_at IS NOT NULL AND rolled_back_at IS NULL`,
              });
            } catch (cause) {
              deps.audit.append({
                actor: deps.actor,
                environment: options.environment,
                action: 'migrate.rollback',
                target: options.name,
                outcome: 'failed',
                details: { error: describePgError(cause, migration.downSql) },
              });
              throw new ProdguardError(
                'PRODGUARD_MIGRATE_ROLLBACK_FAILED',
                `down.sql of ${options.name} failed on ${options.environment}: ${describePgError(cause, migration.downSql)}`,
                {
                  cause,
                  hint: backup ? `Backup #${backup.id} was taken just before: ${backup.path}` : undefined,
                },
              );
            }
          },
          { sleep: (ms) => deps.clock.sleep(ms), nowMs: () => deps.clock.nowMs() },
        );
        const durationMs = Math.max(0, deps.clock.nowMs() - started);
        deps.audit.append({
          actor: deps.actor,
          environment: options.environment,
          action: 'migrate.rollback',
          target: options.name,
          outcome: 'success',
          details: { durationMs, ...(backup ? { backup: { id: backup.id, sha256: backup.sha256 } } : {}) },
        });
        return { name: options.name, ...(backup ? { backup } : {}), durationMs };
      } finally {
        await db.close();
      }
    },
  );
}
