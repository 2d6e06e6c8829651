import type { AuditLog } from '../audit/index.js';
import type { Config } from '../config/index.js';
import { freezeRuleChecksNow } from '../freeze/index.js';
import type { CloudSqlBackupRecord } from '../gcp/cloudsql/run-cloud-sql-backup.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError } from '../kernel/errors.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import { redactText } from '../kernel/redact.js';
import { TypedEvents } from '../kernel/typed-events.js';
import {
  type OperationEventMap,
  type OperationKindSpec,
  type OperationRecord,
  OperationRunner,
  OperationStore,
  refuseInterrupted,
} from '../operations/index.js';
import {
  type CheckOutcome,
  evaluateRules,
  type RuleCheck,
  type RuleEvaluation,
  type RuleOverride,
} from '../rules/index.js';
import { type EnvironmentLock, type StateStore, withEnvironmentLock } from '../store/index.js';
import { applyMigrationScript, type LockRetry } from './apply-migration-script.js';
import { type BackupRecord, readRollbackVerification } from './database-records.js';
import {
  type DatabaseConfigView,
  previousDatabaseEnvironment,
  resolveDatabaseTarget,
} from './database-target.js';
import { freshOrNewBackup } from './fresh-backup.js';
import { lintMigration } from './lint/lint-migration.js';
import { migrateAuditDetails } from './migrate-audit-details.js';
import type { MigrationFile, MigrationHistory } from './migration-files.js';
import { describePgError, openPgSession, type PgSession } from './pg-session.js';
import { type EnvironmentMigrationStatus, planMigrationStatus } from './plan-migration-status.js';
import { prismaChecksum } from './prisma-checksum.js';
import {
  ensureMigrationsTable,
  migrationFinishedSql,
  migrationsTableExists,
  readMigrationRows,
  recordMigrationFailed,
  recordMigrationRolledBack,
  recordMigrationStarted,
  withPrismaAdvisoryLock,
} from './prisma-migrations-table.js';

export interface MigrateDeployDeps {
  config: DatabaseConfigView &
    Parameters<typeof evaluateRules>[0]['config'] &
    Pick<Config, 'timezone' | 'freeze'>;
  store: StateStore;
  audit: AuditLog;
  clock: Clock;
  processes: ProcessRunner;
  env: NodeJS.ProcessEnv;
  cwd: string;
  actor: string;
  /** The workspace's operation journal (with its observers). */
  ops?: OperationStore;
  /**
   * For a Cloud SQL environment (Cloud Run with platform.sqlInstance): the migration-backup rule takes an
   * on-demand Cloud SQL backup (backupRuns.insert, waited to SUCCESSFUL) instead of a pg_dump. It throws
   * when the backup cannot be taken, which refuses the migration.
   */
  cloudSqlBackup?: (environment: string) => ((reason: string) => Promise<CloudSqlBackupRecord>) | undefined;
}

export interface MigrateDeployOptions {
  environment: string;
  history: MigrationHistory;
  overrides?: readonly RuleOverride[];
  /** Irreversible migrations: deploy without a tested rollback, for this reason (audited). */
  noRollbackReason?: string;
  /** How long to wait for the environment lock. */
  waitMs?: number;
}

export interface MigrationStep {
  name: string;
  status: 'Success' | 'Error' | 'NotExecuted';
  durationMs?: number;
  error?: string;
}

/** What a migrate deploy journals: the migrations it set out to apply, with their checksums. */
export interface MigrateDeployParams {
  migrations: { name: string; checksum: string; transactional: boolean }[];
  backupId?: number;
  noRollbackReason?: string;
  overrides?: { rule: string; reason: string | undefined }[];
}

export interface MigrateDeploySteps {
  [step: `apply:${string}`]: { durationMs: number; note?: string };
}

declare module '../operations/operation-record.js' {
  interface OperationKindMap {
    'migrate-deploy': OperationKindSpec<MigrateDeployParams, Record<string, never>, MigrateDeploySteps>;
  }
}

export interface MigrateDeployResult {
  operationId?: string;
  environment: string;
  steps: MigrationStep[];
  applied: string[];
  evaluation?: RuleEvaluation;
  backup?: BackupRecord;
  /** The on-demand Cloud SQL backup taken before the migration, on a Cloud SQL environment. */
  cloudSqlBackup?: CloudSqlBackupRecord;
  warnings: string[];
  error?: { code: string; message: string; hint?: string };
}

interface MigrateContext {
  environment: string;
  pending: MigrationFile[];
  status: EnvironmentMigrationStatus;
}

function namesList(names: readonly string[]): string {
  return names.length <= 3
    ? names.join(', ')
    : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/** The checks behind the migration rules (staging-first, migration-lint, migration-rollback-tested). */
function migrationChecks(
  deps: MigrateDeployDeps,
  options: MigrateDeployOptions,
): RuleCheck<MigrateContext>[] {
  return [
    ...freezeRuleChecksNow(deps.config, deps.store, deps.clock),
    {
      ruleId: 'staging-first',
      async run(ctx): Promise<CheckOutcome> {
        const previous = previousDatabaseEnvironment(deps.config, ctx.environment);
        if (!previous)
          return { status: 'pass', message: `${ctx.environment} is the first environment of the chain` };
        const target = resolveDatabaseTarget(deps.config, previous, deps.env);
        const status = await readStatusOf(options.history, target.url);
        const applied = new Set(status.entries.filter((e) => e.state === 'applied').map((e) => e.name));
        const missing = ctx.pending.filter((m) => !applied.has(m.name)).map((m) => m.name);
        if (missing.length > 0)
          return {
            status: 'fail',
            message: `not applied on ${previous} yet: ${namesList(missing)}`,
            hint: `Run \`prodguard migrate deploy ${previous}\` first.`,
            details: { previous, missing },
          };
        return { status: 'pass', message: `every pending migration is applied on ${previous}` };
      },
    },
    {
      ruleId: 'migration-history-intact',
      async run(ctx): Promise<CheckOutcome> {
        const broken = [
          ...ctx.status.edited.map((name) => `${name} (edited after it was applied)`),
          ...ctx.status.missing.map((name) => `${name} (applied, missing from the history)`),
          ...ctx.status.outOfOrder.map((name) => `${name} (older than an applied migration)`),
        ];
        if (broken.length === 0)
          return { status: 'pass', message: 'applied migrations unchanged, pending ones after them' };
        return {
          status: 'fail',
          message: `the history on ${ctx.environment} is not the one it applied: ${namesList(broken)}`,
          details: {
            edited: ctx.status.edited,
            missing: ctx.status.missing,
            outOfOrder: ctx.status.outOfOrder,
          },
        };
      },
    },
    {
      ruleId: 'migration-lint',
      async run(ctx): Promise<CheckOutcome> {
        const blocking: string[] = [];
        for (const m of ctx.pending) {
          const result = await lintMigration(m.sql, m.path);
          for (const f of result.findings)
            if (f.severity === 'error' && !f.ignored)
              blocking.push(`${m.name}:${f.line}:${f.column} ${f.rule}`);
        }
        if (blocking.length > 0)
          return {
            status: 'fail',
            message: `${blocking.length} unresolved dangerous statement(s): ${namesList(blocking)}`,
            hint: 'Run `prodguard migrate lint` for the lock each takes and the safe way; or add -- prodguard-ignore <rule> <reason>.',
            details: { findings: blocking },
          };
        return { status: 'pass', message: `${ctx.pending.length} migration(s) lint clean` };
      },
    },
    {
      ruleId: 'migration-rollback-tested',
      async run(ctx): Promise<CheckOutcome> {
        const missing: string[] = [];
        for (const m of ctx.pending) {
          if (!m.downSql) {
            missing.push(`${m.name} (no down.sql)`);
            continue;
          }
          const record = readRollbackVerification(deps.store, {
            environment: ctx.environment,
            migration: m.name,
            checksum: m.checksum,
            downChecksum: prismaChecksum(m.downSql),
          });
          if (!record) missing.push(`${m.name} (not verified)`);
          else if (!record.ok) missing.push(`${m.name} (verification failed)`);
        }
        if (missing.length === 0)
          return { status: 'pass', message: 'every pending migration has a verified down.sql' };
        if (options.noRollbackReason)
          return {
            status: 'pass',
            message: `deployed without a tested rollback (--no-rollback): ${options.noRollbackReason}`,
            details: { irreversible: missing },
          };
        return {
          status: 'fail',
          message: `no tested rollback for ${namesList(missing)}`,
          hint: `Write down.sql and run \`prodguard migrate verify-rollback ${ctx.environment}\`, or pass --no-rollback --reason "<why it cannot be undone>".`,
        };
      },
    },
  ];
}

async function readStatusOf(history: MigrationHistory, url: string): Promise<EnvironmentMigrationStatus> {
  const db = await openPgSession(url, 'prodguard migrate');
  try {
    return planMigrationStatus(history.migrations, await readMigrationRows(db));
  } finally {
    await db.close();
  }
}

/** Tables in user schemas of a database that has no `_prisma_migrations` yet (Prisma refuses those: P3005). */
async function unbaselinedTables(url: string): Promise<number> {
  const db = await openPgSession(url, 'prodguard migrate');
  try {
    if (await migrationsTableExists(db)) return 0;
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
    );
    return rows[0]?.n ?? 0;
  } finally {
    await db.close();
  }
}

/** Raised (as Prisma's P3009) when a failed migration blocks the history. */
export function failedMigrationError(environment: string, failed: readonly string[]): ProdguardError {
  return new ProdguardError(
    'PRODGUARD_MIGRATE_FAILED_MIGRATION',
    `${environment} has a failed migration: ${failed.join(', ')}. No new migration is applied until it is resolved (Prisma: P3009).`,
    {
      kind: 'refused',
      hint: `If it left no changes: \`prodguard migrate resolve ${environment} --rolled-back ${failed[0]}\`, then deploy again. If you completed it by hand: \`prodguard migrate resolve ${environment} --applied ${failed[0]}\`.`,
      details: { failed },
    },
  );
}

/**
 * Applies an environment's pending migrations in order, behind the migration rules, the environment lock
 * and Prisma's advisory lock; production-like environments get a fresh verified backup before any DDL.
 */
export async function runMigrateDeploy(
  options: MigrateDeployOptions,
  deps: MigrateDeployDeps,
): Promise<MigrateDeployResult> {
  const target = resolveDatabaseTarget(deps.config, options.environment, deps.env);
  const result: MigrateDeployResult = {
    environment: options.environment,
    steps: [],
    applied: [],
    warnings: [],
  };
  const audit = (
    outcome: 'success' | 'refused' | 'failed' | 'overridden',
    extra: Record<string, unknown> = {},
  ) =>
    deps.audit.append({
      actor: deps.actor,
      environment: options.environment,
      action: 'migrate.deploy',
      target: result.applied.length > 0 ? result.applied.join(', ') : undefined,
      reason: options.overrides?.[0]?.reason ?? options.noRollbackReason,
      outcome,
      details: {
        steps: result.steps,
        ...migrateAuditDetails({
          evaluation: result.evaluation,
          overrides: options.overrides,
          backup: result.backup,
        }),
        ...(options.noRollbackReason ? { noRollback: options.noRollbackReason } : {}),
        ...extra,
      },
    });
  return withEnvironmentLock(
    deps.store,
    {
      environment: options.environment,
      operation: 'migrate deploy',
      owner: deps.actor,
      clock: deps.clock,
      waitMs: options.waitMs ?? 0,
    },
    async (lock) => {
      refuseInterrupted(
        deps.ops ?? new OperationStore(deps.store, deps.clock, deps.audit),
        new TypedEvents<OperationEventMap>(),
        options.environment,
      );
      const status = await readStatusOf(options.history, target.url);
      if (status.failed.length > 0) {
        const error = failedMigrationError(options.environment, status.failed);
        audit('refused', { failed: status.failed });
        throw error;
      }
      if (status.edited.length > 0)
        result.warnings.push(
          `applied migrations edited since: ${status.edited.join(', ')} (checksum differs)`,
        );
      if (status.missing.length > 0)
        result.warnings.push(
          `applied on ${options.environment} but missing from the history: ${status.missing.join(', ')}`,
        );
      if (status.outOfOrder.length > 0)
        result.warnings.push(
          `older than applied migrations, applied now out of order: ${status.outOfOrder.join(', ')}`,
        );
      const pending = options.history.migrations.filter((m) => status.pending.includes(m.name));
      result.steps = pending.map((m) => ({ name: m.name, status: 'NotExecuted' }));
      const context: MigrateContext = { environment: options.environment, pending, status };
      if (pending.length === 0) {
        // Nothing to apply, yet a broken history on a protected environment is still not "up to date".
        const evaluation = await evaluateRules({
          config: deps.config,
          action: 'migrate',
          environment: options.environment,
          checks: migrationChecks(deps, options),
          context,
          overrides: options.overrides ?? [],
          clock: deps.clock,
          only: ['migration-history-intact'],
        });
        if (!evaluation.ok) {
          result.evaluation = evaluation;
          audit('refused');
          result.error = {
            code: 'PRODGUARD_MIGRATE_REFUSED',
            message: `migrate deploy ${options.environment} refused by migration-history-intact`,
          };
        }
        return result;
      }
      const existing = await unbaselinedTables(target.url);
      if (existing > 0) {
        audit('refused', { unbaselinedTables: existing });
        throw new ProdguardError(
          'PRODGUARD_MIGRATE_NOT_BASELINED',
          `${options.environment} already has ${existing} table(s) but no _prisma_migrations: applying the history would run ${pending[0]!.name} on top of an existing schema (Prisma: P3005).`,
          {
            kind: 'refused',
            hint: `Baseline it: for each migration the schema already contains, \`prodguard migrate resolve ${options.environment} --applied <name>\`; then deploy.`,
          },
        );
      }

      const evaluation = await evaluateRules({
        config: deps.config,
        action: 'migrate',
        environment: options.environment,
        checks: migrationChecks(deps, options),
        context,
        overrides: options.overrides ?? [],
        clock: deps.clock,
        // migration-backup runs afterwards, only when everything else passed: no backup for a refused deploy.
        only: [
          'migration-history-intact',
          'staging-first',
          'migration-lint',
          'migration-rollback-tested',
          'no-friday-deploys',
          'deploy-freeze',
        ],
      });
      result.evaluation = evaluation;
      if (!evaluation.ok) {
        audit('refused');
        result.error = {
          code: 'PRODGUARD_MIGRATE_REFUSED',
          message: `migrate deploy ${options.environment} refused by ${evaluation.blocking.map((v) => v.id).join(', ')}`,
        };
        return result;
      }

      // A production-like environment gets its backup before any DDL (rule migration-backup).
      const backupEvaluation = await evaluateRules<MigrateContext>({
        config: deps.config,
        action: 'migrate',
        environment: options.environment,
        only: ['migration-backup'],
        overrides: options.overrides ?? [],
        clock: deps.clock,
        context,
        checks: [
          {
            ruleId: 'migration-backup',
            async run(): Promise<CheckOutcome> {
              const cloudSql = deps.cloudSqlBackup?.(options.environment);
              if (cloudSql) {
                // Always a fresh one: the instance's own automated backups are not prodguard's to judge.
                result.cloudSqlBackup = await cloudSql(
                  `before migrate deploy of ${pending.map((m) => m.name).join(', ')}`,
                );
                return {
                  status: 'pass',
                  message: `Cloud SQL on-demand backup ${result.cloudSqlBackup.backupRunId} of ${result.cloudSqlBackup.instance} SUCCESSFUL`,
                };
              }
              const taken = await freshOrNewBackup(
                {
                  environment: options.environment,
                  url: target.url,
                  reason: `before migrate deploy of ${pending.map((m) => m.name).join(', ')}`,
                },
                deps,
              );
              result.backup = taken.backup;
              return { status: 'pass', message: taken.message };
            },
          },
        ],
      });
      evaluation.verdicts.push(...backupEvaluation.verdicts);
      evaluation.blocking.push(...backupEvaluation.blocking);
      evaluation.overridden.push(...backupEvaluation.overridden);
      evaluation.ok = evaluation.ok && backupEvaluation.ok;
      if (!backupEvaluation.ok) {
        audit('refused');
        result.error = {
          code: 'PRODGUARD_MIGRATE_REFUSED',
          message: `migrate deploy ${options.environment} refused: no backup (${backupEvaluation.blocking[0]?.message ?? ''})`,
        };
        return result;
      }

      const ops = deps.ops ?? new OperationStore(deps.store, deps.clock, deps.audit);
      const overridden = evaluation.overridden.map((v) => ({ rule: v.id, reason: v.overrideReason }));
      // Each override is its own audit event with its own reason, before anything is applied.
      for (const v of evaluation.overridden)
        ops.record({
          actor: deps.actor,
          environment: options.environment,
          action: 'rule.override',
          target: v.id,
          reason: v.overrideReason,
          outcome: 'overridden',
          details: { for: 'migrate deploy', message: v.message },
        });
      const { op } = ops.begin({
        kind: 'migrate-deploy',
        environment: options.environment,
        actor: deps.actor,
        params: {
          migrations: pending.map((m) => ({
            name: m.name,
            checksum: m.checksum,
            transactional: !isNonTransactional(m.sql),
          })),
          ...(result.backup ? { backupId: result.backup.id } : {}),
          ...(options.noRollbackReason ? { noRollbackReason: options.noRollbackReason } : {}),
          ...(overridden.length > 0 ? { overrides: overridden } : {}),
        },
        state: {},
        subject: namesList(pending.map((m) => m.name)),
        audit: {
          action: 'migrate.deploy',
          target: namesList(pending.map((m) => m.name)),
          reason: options.noRollbackReason,
          details: {
            migrations: pending.map((m) => m.name),
            ...migrateAuditDetails({ evaluation, backup: result.backup }),
            ...(result.cloudSqlBackup
              ? {
                  cloudSqlBackup: {
                    instance: result.cloudSqlBackup.instance,
                    backupRunId: result.cloudSqlBackup.backupRunId,
                  },
                }
              : {}),
            ...(overridden.length > 0 ? { overridden } : {}),
          },
        },
      });
      return executeMigrateDeploy(op, { ops, lock, history: options.history, url: target.url, deps, result });
    },
  );
}

/** CREATE INDEX CONCURRENTLY and friends cannot run in a transaction: a crash may leave part of them. */
function isNonTransactional(sql: string): boolean {
  return /\bCONCURRENTLY\b/i.test(sql);
}

interface ExecuteMigrateDeployInput {
  ops: OperationStore;
  lock: EnvironmentLock;
  history: MigrationHistory;
  url: string;
  deps: Pick<MigrateDeployDeps, 'clock' | 'config'>;
  result: MigrateDeployResult;
}

/**
 * The journaled apply loop, one step per migration; also what `prodguard resume` runs. A migration whose
 * step started but never finished was cut off mid-transaction: PostgreSQL rolled it back, so its
 * `_prisma_migrations` row is marked rolled back before it is applied again.
 */
export async function executeMigrateDeploy(
  op: OperationRecord<'migrate-deploy'>,
  input: ExecuteMigrateDeployInput,
): Promise<MigrateDeployResult> {
  const { ops, deps, result } = input;
  result.operationId = op.id;
  const byName = new Map(input.history.migrations.map((m) => [m.name, m]));
  const runner = new OperationRunner(op, ops, new TypedEvents<OperationEventMap>(), input.lock);
  result.steps = op.params.migrations.map((m) => ({ name: m.name, status: 'NotExecuted' }));
  const db = await openPgSession(input.url, 'prodguard migrate deploy');
  try {
    await withPrismaAdvisoryLock(
      db,
      async () => {
        await ensureMigrationsTable(db);
        for (const [index, planned] of op.params.migrations.entries()) {
          const step = result.steps[index]!;
          const stepName = `apply:${planned.name}` as const;
          const done = runner.recorded(stepName);
          if (done) {
            step.status = 'Success';
            step.durationMs = done.durationMs;
            result.applied.push(planned.name);
            continue;
          }
          const migration = byName.get(planned.name);
          if (!migration || migration.checksum !== planned.checksum) {
            throw new ProdguardError(
              'PRODGUARD_MIGRATE_HISTORY_CHANGED',
              `${planned.name} ${migration ? 'was edited' : 'is missing'} since migrate deploy ${op.id} started.`,
              {
                kind: 'refused',
                hint: `Restore the migration as it was, or abort the operation: prodguard abort ${op.id}`,
              },
            );
          }
          const rows = await readMigrationRows(db);
          const attempt = rows.find(
            (r) => r.migrationName === planned.name && r.rolledBackAt === null && r.finishedAt === null,
          );
          const applied = rows.some(
            (r) => r.migrationName === planned.name && r.rolledBackAt === null && r.finishedAt !== null,
          );
          if (applied) {
            // Finished before a crash that came before its journal entry: the row says it is in.
            await runner.step(stepName, async () => ({
              durationMs: 0,
              note: 'applied before an interruption',
            }));
            step.status = 'Success';
            result.applied.push(planned.name);
            continue;
          }
          if (attempt) {
            if (!planned.transactional || attempt.logs) {
              throw new ProdguardError(
                'PRODGUARD_MIGRATE_FAILED_MIGRATION',
                `${planned.name} has an unfinished attempt on ${op.environment} that may have left changes (it runs outside a transaction, or failed with logs).`,
                {
                  kind: 'refused',
                  hint: `Inspect the schema, then \`prodguard migrate resolve ${op.environment} --rolled-back ${planned.name}\` or \`--applied ${planned.name}\`, and abort this operation: prodguard abort ${op.id}`,
                },
              );
            }
            await recordMigrationRolledBack(db, attempt.id);
          }
          try {
            await runner.step(stepName, async () => {
              const ok = await applyOne(db, migration, step, deps, (attempt, waitMs, message) =>
                ops.journal(op.id, `lock-retry:${planned.name}`, 'failed', { attempt, waitMs, message }),
              );
              if (!ok) throw new MigrationFailed(step.error ?? 'failed');
              return { durationMs: step.durationMs ?? 0 };
            });
          } catch (error) {
            if (!(error instanceof MigrationFailed)) throw error;
            result.error = {
              code: 'PRODGUARD_MIGRATE_FAILED',
              message: `Migration ${migration.name} failed on ${op.environment}; it was rolled back where PostgreSQL allows.\n${step.error}`,
              hint: `Fix it, then \`prodguard migrate resolve ${op.environment} --rolled-back ${migration.name}\` and deploy again.`,
            };
            break;
          }
          result.applied.push(migration.name);
        }
      },
      { sleep: (ms) => deps.clock.sleep(ms), nowMs: () => deps.clock.nowMs() },
    );
  } catch (error) {
    // Another run holds Prisma's advisory lock: nothing was applied by this run, so it ends refused.
    // Any other failure (connection, history changed) leaves the operation running for resume or abort.
    if (error instanceof ProdguardError && error.code === 'PRODGUARD_MIGRATE_LOCKED') {
      ops.finish(op, 'failed', { message: error.message, error: error.message, auditOutcome: 'refused' });
    }
    throw error;
  } finally {
    await db.close();
  }
  const status = result.error ? 'failed' : 'succeeded';
  ops.finish(op, status, {
    message: result.error
      ? result.error.message
      : `${result.applied.length} migration(s) applied on ${op.environment}`,
    error: result.error?.message,
    audit: {
      target: result.applied.length > 0 ? namesList(result.applied) : op.subject,
      reason: op.params.noRollbackReason,
      details: {
        steps: result.steps,
        ...(op.params.noRollbackReason ? { noRollback: op.params.noRollbackReason } : {}),
      },
    },
  });
  return result;
}

/** Abort: an attempt cut off mid-transaction left nothing, so its row is marked rolled back; applied ones stay. */
export async function abortMigrateDeploy(
  op: OperationRecord<'migrate-deploy'>,
  input: { ops: OperationStore; url: string; clock: Clock },
): Promise<string> {
  const db = await openPgSession(input.url, 'prodguard migrate abort');
  const marked: string[] = [];
  const unsure: string[] = [];
  try {
    await withPrismaAdvisoryLock(
      db,
      async () => {
        if (!(await migrationsTableExists(db))) return;
        const rows = await readMigrationRows(db);
        for (const planned of op.params.migrations) {
          const attempt = rows.find(
            (r) => r.migrationName === planned.name && r.rolledBackAt === null && r.finishedAt === null,
          );
          if (!attempt) continue;
          if (planned.transactional && !attempt.logs) {
            await recordMigrationRolledBack(db, attempt.id);
            marked.push(planned.name);
          } else unsure.push(planned.name);
        }
      },
      { sleep: (ms) => input.clock.sleep(ms), nowMs: () => input.clock.nowMs() },
    );
  } finally {
    await db.close();
  }
  const applied = input.ops
    .readJournal(op.id)
    .filter((e) => e.phase === 'succeeded')
    .map((e) => e.step.replace(/^apply:/, ''));
  const message = [
    `Aborted migrate deploy ${op.id}`,
    applied.length > 0 ? `applied and kept: ${namesList(applied)}` : 'nothing was applied',
    marked.length > 0 ? `interrupted attempt marked rolled back: ${marked.join(', ')}` : '',
    unsure.length > 0 ? `check by hand, then migrate resolve: ${unsure.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  input.ops.finish(op, 'aborted', { message, error: 'aborted after an interruption' });
  return `${message}.`;
}

class MigrationFailed extends Error {}

/** Retries of a migration that failed on lock_timeout, and the cap on its first pause (doubling after). */
export const LOCK_RETRIES = 4;
const LOCK_RETRY_MAX_BACKOFF_MS = 2000;

/** One migration, recorded exactly as Prisma records it. Returns false on failure (row keeps the logs). */
async function applyOne(
  db: PgSession,
  migration: MigrationFile,
  step: MigrationStep,
  deps: Pick<MigrateDeployDeps, 'clock' | 'config'>,
  onLockRetry: LockRetry['onRetry'],
): Promise<boolean> {
  const started = deps.clock.nowMs();
  const id = await recordMigrationStarted(db, migration.name, migration.checksum);
  try {
    await applyMigrationScript(db, migration.sql, {
      lockTimeoutMs: deps.config.database.lockTimeout,
      statementTimeoutMs: deps.config.database.statementTimeout,
      afterScriptSql: migrationFinishedSql(id),
      // A migration queued behind a long transaction gives way after lock_timeout (so traffic queued behind
      // it moves again), waits, and tries again: a bounded number of times, each retry journaled.
      lockRetry: {
        retries: LOCK_RETRIES,
        backoffMs: Math.min(deps.config.database.lockTimeout, LOCK_RETRY_MAX_BACKOFF_MS),
        sleep: (ms) => deps.clock.sleep(ms),
        onRetry: onLockRetry,
      },
    });
    step.status = 'Success';
    step.durationMs = Math.max(0, deps.clock.nowMs() - started);
    return true;
  } catch (error) {
    const message = redactText(describePgError(error, migration.sql));
    // The migration's own error is what the step reports; a failure to record it in _prisma_migrations is
    // said beside it (the row then still shows the migration as started), never dropped.
    const unrecorded = await recordMigrationFailed(db, id, `${migration.name}\n\n${message}`).then(
      () => '',
      (recordError: unknown) =>
        `\n(recording this failure in _prisma_migrations also failed: ${redactText(recordError instanceof Error ? recordError.message : String(recordError))})`,
    );
    step.status = 'Error';
    step.error = `${message}${unrecorded}`;
    step.durationMs = Math.max(0, deps.clock.nowMs() - started);
    return false;
  }
}
