import type { AuditLog } from '../audit/index.js';
import type { Config } from '../config/index.js';
import { freezeRuleChecks } from '../freeze/index.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError } from '../kernel/errors.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import { redactText } from '../kernel/redact.js';
import {
  type CheckOutcome,
  evaluateRules,
  type RuleCheck,
  type RuleEvaluation,
  type RuleOverride,
} from '../rules/index.js';
import { type StateStore, withEnvironmentLock } from '../store/index.js';
import { applyMigrationScript } from './apply-migration-script.js';
import { type BackupRecord, readBackupRecords, readRollbackVerification } from './database-records.js';
import {
  backupsDirOf,
  type DatabaseConfigView,
  previousEnvironment,
  resolveDatabaseTarget,
} from './database-target.js';
import { lintMigration } from './lint/lint-migration.js';
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
  recordMigrationStarted,
  withPrismaAdvisoryLock,
} from './prisma-migrations-table.js';
import { runBackup } from './run-backup.js';

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

export interface MigrateDeployResult {
  environment: string;
  steps: MigrationStep[];
  applied: string[];
  evaluation?: RuleEvaluation;
  backup?: BackupRecord;
  warnings: string[];
  error?: { code: string; message: string; hint?: string };
}

interface MigrateContext {
  environment: string;
  pending: MigrationFile[];
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
    ...freezeRuleChecks(deps.config, deps.store).map((check) => ({
      ruleId: check.ruleId,
      run: (ctx: MigrateContext) => check.run({ environment: ctx.environment, at: deps.clock.now() }),
    })),
    {
      ruleId: 'staging-first',
      async run(ctx): Promise<CheckOutcome> {
        const previous = previousEnvironment(deps.config, ctx.environment);
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
        verdicts: result.evaluation?.verdicts.map((v) => ({ id: v.id, status: v.status })) ?? [],
        ...(result.backup ? { backup: { id: result.backup.id, sha256: result.backup.sha256 } } : {}),
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
    async () => {
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
      if (pending.length === 0) return result;
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

      const context: MigrateContext = { environment: options.environment, pending };
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
              const maxAge = deps.config.database.backupMaxAge;
              const recent = readBackupRecords(deps.store, options.environment).at(-1);
              if (
                recent &&
                maxAge > 0 &&
                deps.clock.nowMs() - new Date(recent.finishedAt).getTime() <= maxAge
              ) {
                result.backup = recent;
                return {
                  status: 'pass',
                  message: `backup #${recent.id} from ${recent.finishedAt} is fresh enough`,
                };
              }
              result.backup = await runBackup(
                {
                  environment: options.environment,
                  url: target.url,
                  dir: backupsDirOf(deps.config),
                  reason: `before migrate deploy of ${pending.map((m) => m.name).join(', ')}`,
                },
                deps,
              );
              return {
                status: 'pass',
                message: `backup #${result.backup.id} taken and read back (${result.backup.entries} entries, ${result.backup.sizeBytes} bytes)`,
              };
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

      const db = await openPgSession(target.url, 'prodguard migrate deploy');
      try {
        await withPrismaAdvisoryLock(
          db,
          async () => {
            await ensureMigrationsTable(db);
            // Re-read under the advisory lock: a concurrent `prisma migrate deploy` may have applied some.
            const fresh = planMigrationStatus(options.history.migrations, await readMigrationRows(db));
            for (const [index, migration] of pending.entries()) {
              const step = result.steps[index]!;
              if (!fresh.pending.includes(migration.name)) {
                step.status = 'Success';
                step.error = 'applied meanwhile by another process';
                continue;
              }
              const ok = await applyOne(db, migration, step, deps);
              if (!ok) {
                result.error = {
                  code: 'PRODGUARD_MIGRATE_FAILED',
                  message: `Migration ${migration.name} failed on ${options.environment}; it was rolled back where PostgreSQL allows.\n${step.error}`,
                  hint: `Fix it, then \`prodguard migrate resolve ${options.environment} --rolled-back ${migration.name}\` and deploy again.`,
                };
                break;
              }
              result.applied.push(migration.name);
            }
          },
          { sleep: (ms) => deps.clock.sleep(ms), nowMs: () => deps.clock.nowMs() },
        );
      } catch (error) {
        // Not a migration's own failure (those are steps): the lock, or the connection, failed.
        audit(error instanceof ProdguardError && error.kind === 'refused' ? 'refused' : 'failed', {
          error: redactText(error instanceof Error ? error.message : String(error)),
        });
        throw error;
      } finally {
        await db.close();
      }
      audit(
        result.error ? 'failed' : evaluation.overridden.length > 0 ? 'overridden' : 'success',
        evaluation.overridden.length > 0
          ? { overridden: evaluation.overridden.map((v) => ({ id: v.id, reason: v.overrideReason })) }
          : {},
      );
      return result;
    },
  );
}

/** One migration, recorded exactly as Prisma records it. Returns false on failure (row keeps the logs). */
async function applyOne(
  db: PgSession,
  migration: MigrationFile,
  step: MigrationStep,
  deps: Pick<MigrateDeployDeps, 'clock' | 'config'>,
): Promise<boolean> {
  const started = deps.clock.nowMs();
  const id = await recordMigrationStarted(db, migration.name, migration.checksum);
  try {
    await applyMigrationScript(db, migration.sql, {
      lockTimeoutMs: deps.config.database.lockTimeout,
      statementTimeoutMs: deps.config.database.statementTimeout,
      afterScriptSql: migrationFinishedSql(id),
    });
    step.status = 'Success';
    step.durationMs = Math.max(0, deps.clock.nowMs() - started);
    return true;
  } catch (error) {
    const message = redactText(describePgError(error, migration.sql));
    await recordMigrationFailed(db, id, `${migration.name}\n\n${message}`).catch(() => {});
    step.status = 'Error';
    step.error = message;
    step.durationMs = Math.max(0, deps.clock.nowMs() - started);
    return false;
  }
}
