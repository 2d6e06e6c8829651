import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError, UsageError } from '../kernel/errors.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import { TypedEvents } from '../kernel/typed-events.js';
import {
  type OperationEventMap,
  type OperationKindSpec,
  type OperationRecord,
  OperationRunner,
  OperationStore,
  refuseInterrupted,
} from '../operations/index.js';
import { type EnvironmentLock, type StateStore, withEnvironmentLock } from '../store/index.js';
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
    ops?: OperationStore;
  },
): Promise<{ operationId: string; name: string; backup?: BackupRecord; durationMs: number }> {
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
    async (lock) => {
      const ops = deps.ops ?? new OperationStore(deps.store, deps.clock, deps.audit);
      refuseInterrupted(ops, new TypedEvents<OperationEventMap>(), options.environment);
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
      } finally {
        await db.close();
      }
      const { op } = ops.begin({
        kind: 'migrate-rollback',
        environment: options.environment,
        actor: deps.actor,
        params: { name: options.name, checksum: migration.checksum, final: options.final },
        state: {},
        subject: options.name,
        audit: { action: 'migrate.rollback', target: options.name },
      });
      return executeMigrateRollback(op, { ...options, ops, lock, deps });
    },
  );
}

/** What a migrate rollback journals. */
export interface MigrateRollbackParams {
  name: string;
  checksum: string;
  final: boolean;
}

export interface MigrateRollbackSteps {
  backup: { id: number; sha256: string; path: string } | { skipped: string };
  'run-down': { durationMs: number; note?: string };
}

declare module '../operations/operation-record.js' {
  interface OperationKindMap {
    'migrate-rollback': OperationKindSpec<MigrateRollbackParams, Record<string, never>, MigrateRollbackSteps>;
  }
}

type ExecuteMigrateRollbackInput = Omit<MigrateRollbackOptions, 'name' | 'final' | 'environment'> & {
  ops: OperationStore;
  lock: EnvironmentLock;
  deps: Parameters<typeof runMigrateRollback>[1];
};

/**
 * The rollback's journaled steps (backup on the final environment, then down.sql and the row update in one
 * transaction); also what `prodguard resume` runs. The down script and `rolled_back_at` commit together,
 * so after a crash the row tells whether it ran.
 */
export async function executeMigrateRollback(
  op: OperationRecord<'migrate-rollback'>,
  input: ExecuteMigrateRollbackInput,
): Promise<{ operationId: string; name: string; backup?: BackupRecord; durationMs: number }> {
  const { deps, ops } = input;
  const name = op.params.name;
  const migration = input.history.migrations.find((m) => m.name === name);
  if (!migration?.downSql || migration.checksum !== op.params.checksum) {
    throw new ProdguardError(
      'PRODGUARD_MIGRATE_HISTORY_CHANGED',
      `${name} or its down.sql changed since migrate rollback ${op.id} started.`,
      { kind: 'refused', hint: `Restore it as it was, or abort: prodguard abort ${op.id}` },
    );
  }
  const downSql = migration.downSql;
  const runner = new OperationRunner(op, ops, new TypedEvents<OperationEventMap>(), input.lock);
  const started = deps.clock.nowMs();
  let backup: BackupRecord | undefined;
  await runner.step('backup', async () => {
    if (!op.params.final) return { skipped: 'not the final environment' };
    backup = await runBackup(
      {
        environment: op.environment,
        url: input.url,
        dir: input.backupsDir,
        reason: `before rollback of ${name}`,
      },
      deps,
    );
    return { id: backup.id, sha256: backup.sha256, path: backup.path };
  });
  const db = await openPgSession(input.url, 'prodguard migrate rollback');
  try {
    await runner.step('run-down', async () => {
      const rows = await readMigrationRows(db);
      if (!rows.some((r) => r.migrationName === name && r.finishedAt !== null && r.rolledBackAt === null)) {
        return { durationMs: 0, note: 'already rolled back before an interruption' };
      }
      await withPrismaAdvisoryLock(
        db,
        async () => {
          try {
            await applyMigrationScript(db, downSql, {
              lockTimeoutMs: input.lockTimeoutMs,
              statementTimeoutMs: input.statementTimeoutMs,
              afterScriptSql: `UPDATE _prisma_migrations SET rolled_back_at = clock_timestamp() WHERE migration_name = ${sqlLiteral(name)} AND finished_at IS NOT NULL AND rolled_back_at IS NULL`,
            });
          } catch (cause) {
            const message = `down.sql of ${name} failed on ${op.environment}: ${describePgError(cause, downSql)}`;
            ops.finish(op, 'failed', { message, error: message });
            throw new ProdguardError('PRODGUARD_MIGRATE_ROLLBACK_FAILED', message, {
              cause,
              hint: backup ? `Backup #${backup.id} was taken just before: ${backup.path}` : undefined,
            });
          }
        },
        { sleep: (ms) => deps.clock.sleep(ms), nowMs: () => deps.clock.nowMs() },
      );
      return { durationMs: Math.max(0, deps.clock.nowMs() - started) };
    });
  } finally {
    await db.close();
  }
  const durationMs = Math.max(0, deps.clock.nowMs() - started);
  ops.finish(op, 'succeeded', {
    message: `${name} rolled back on ${op.environment}`,
    audit: {
      details: { durationMs, ...(backup ? { backup: { id: backup.id, sha256: backup.sha256 } } : {}) },
    },
  });
  return { operationId: op.id, name, ...(backup ? { backup } : {}), durationMs };
}

/** Abort: down.sql and its row update commit together, so there is nothing half done to undo. */
export async function abortMigrateRollback(
  op: OperationRecord<'migrate-rollback'>,
  input: { ops: OperationStore; url: string },
): Promise<string> {
  const db = await openPgSession(input.url, 'prodguard migrate abort');
  let rolledBack: boolean;
  try {
    const rows = await readMigrationRows(db);
    rolledBack = !rows.some(
      (r) => r.migrationName === op.params.name && r.finishedAt !== null && r.rolledBackAt === null,
    );
  } finally {
    await db.close();
  }
  const message = `Aborted migrate rollback ${op.id}: ${op.params.name} is ${rolledBack ? 'rolled back (down.sql had committed)' : 'still applied (down.sql never committed)'}`;
  input.ops.finish(op, 'aborted', { message, error: 'aborted after an interruption' });
  return `${message}.`;
}
