import { freezeRuleChecksNow } from '../../freeze/index.js';
import { ProdguardError } from '../../kernel/errors.js';
import { redactText } from '../../kernel/redact.js';
import { TypedEvents } from '../../kernel/typed-events.js';
import {
  type OperationEventMap,
  type OperationKindSpec,
  type OperationRecord,
  OperationRunner,
  OperationStore,
  refuseInterrupted,
} from '../../operations/index.js';
import {
  type CheckOutcome,
  evaluateRules,
  type RuleCheck,
  type RuleEvaluation,
  type RuleOverride,
} from '../../rules/index.js';
import { type EnvironmentLock, withEnvironmentLock } from '../../store/index.js';
import { applyMigrationScript, sqlLiteral } from '../apply-migration-script.js';
import type { BackupRecord } from '../database-records.js';
import { previousDatabaseEnvironment, resolveDatabaseTarget } from '../database-target.js';
import { freshOrNewBackup } from '../fresh-backup.js';
import { lintMigration } from '../lint/lint-migration.js';
import { migrateAuditDetails } from '../migrate-audit-details.js';
import { openPgSession } from '../pg-session.js';
import type { MigrateDeployDeps } from '../run-migrate-deploy.js';
import {
  listToolMigrations,
  type MigrationTool,
  planToolStatus,
  readToolApplied,
  type ToolMigration,
  type ToolStatus,
} from './migration-tool.js';

export interface MigrateToolParams {
  tool: MigrationTool['tool'];
  pending: string[];
  backupId?: number;
  overrides?: { rule: string; reason: string | undefined }[];
}

export interface MigrateToolSteps {
  /** The project's own tool ran (knex, node-pg-migrate, command). */
  run?: { durationMs: number; exitCode: number | null };
  /** One sql-folder file applied in its own transaction. */
  [step: `apply:${string}`]: { durationMs: number };
}

declare module '../../operations/operation-record.js' {
  interface OperationKindMap {
    'migrate-tool': OperationKindSpec<MigrateToolParams, Record<string, never>, MigrateToolSteps>;
  }
}

export interface MigrateToolDeps extends MigrateDeployDeps {
  tool: MigrationTool;
}

export interface MigrateToolOptions {
  environment: string;
  overrides?: readonly RuleOverride[];
  waitMs?: number;
}

export interface MigrateToolResult {
  operationId?: string;
  environment: string;
  tool: MigrationTool['tool'];
  pending: string[];
  applied: string[];
  evaluation?: RuleEvaluation;
  backup?: BackupRecord;
  /** The tool's own output (credentials masked), for the person running it. */
  output?: string;
  warnings: string[];
  error?: { code: string; message: string; hint?: string };
}

/** An environment's state, from the tool's own history table. */
export async function readToolStatus(tool: MigrationTool, url: string): Promise<ToolStatus> {
  const db = await openPgSession(url, 'prodguard migrate status');
  try {
    return planToolStatus(listToolMigrations(tool), await readToolApplied(tool, db));
  } finally {
    await db.close();
  }
}

interface ToolContext {
  environment: string;
  url: string;
  pending: ToolMigration[];
  status: ToolStatus;
}

/** The child's environment: basics only, and the target as DATABASE_URL (never on argv). */
function toolEnv(env: NodeJS.ProcessEnv, url: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TZ', 'NODE_OPTIONS', 'SystemRoot'])
    if (env[key]) out[key] = env[key];
  return { ...out, DATABASE_URL: url };
}

/**
 * The SQL a node-pg-migrate `--dry-run` prints: the lines under each `### MIGRATION … ###` header, without the
 * tool's progress lines or what libraries it loads print on their own (dotenv's `◇ injected env` notice).
 */
export function sqlOfDryRun(stdout: string): string {
  const lines = stdout.split('\n');
  const hasHeaders = lines.some((line) => /^###\s*MIGRATION/i.test(line));
  let inMigration = !hasHeaders;
  const sql: string[] = [];
  for (const line of lines) {
    if (/^###/.test(line)) {
      inMigration = /^###\s*MIGRATION/i.test(line);
      sql.push('');
      continue;
    }
    if (!inMigration) {
      sql.push('');
      continue;
    }
    const noise = /^\s*(>|dry run|No migrations to run|Migrations complete|◇|\[dotenv)/i.test(line);
    // Blank lines keep the line numbers of the SQL that remains.
    sql.push(noise ? '' : line);
  }
  return sql.join('\n');
}

function toolChecks(deps: MigrateToolDeps): RuleCheck<ToolContext>[] {
  const { tool } = deps;
  return [
    ...freezeRuleChecksNow(deps.config, deps.store, deps.clock),
    {
      ruleId: 'staging-first',
      async run(ctx): Promise<CheckOutcome> {
        const previous = previousDatabaseEnvironment(deps.config, ctx.environment);
        if (!previous)
          return { status: 'pass', message: `${ctx.environment} is the first environment of the chain` };
        if (tool.tool === 'command')
          return {
            status: 'warn',
            message: `a command tool's migrations cannot be listed by prodguard: the order against ${previous} is not checked`,
          };
        const before = await readToolStatus(tool, resolveDatabaseTarget(deps.config, previous, deps.env).url);
        const missing = ctx.pending.map((m) => m.name).filter((n) => !before.applied.includes(n));
        if (missing.length > 0)
          return {
            status: 'fail',
            message: `not applied on ${previous} yet (${tool.table}): ${missing.join(', ')}`,
            hint: `Run \`prodguard migrate deploy ${previous}\` first.`,
          };
        return {
          status: 'pass',
          message: `every pending migration is applied on ${previous} (${tool.table})`,
        };
      },
    },
    {
      ruleId: 'migration-history-intact',
      async run(ctx): Promise<CheckOutcome> {
        const broken = [
          ...ctx.status.edited.map((n) => `${n} (edited after it was applied)`),
          ...ctx.status.missing.map((n) => `${n} (applied, missing from ${tool.dir})`),
          ...ctx.status.outOfOrder.map((n) => `${n} (older than an applied migration)`),
        ];
        return broken.length === 0
          ? { status: 'pass', message: 'applied migrations unchanged, pending ones after them' }
          : {
              status: 'fail',
              message: `the history on ${ctx.environment} is not the one it applied: ${broken.join(', ')}`,
            };
      },
    },
    {
      ruleId: 'migration-lint',
      async run(ctx): Promise<CheckOutcome> {
        const sources: { sql: string; file: string }[] = [];
        const unread: string[] = [];
        if (tool.tool === 'command' && !tool.dryRun)
          return { status: 'warn', message: 'no dryRun command configured: the SQL is not linted' };
        if (tool.dryRun) {
          const dry = await deps.processes.run(tool.dryRun[0]!, tool.dryRun.slice(1), {
            cwd: deps.config.root,
            env: toolEnv(deps.env, ctx.url),
            timeoutMs: 120_000,
          });
          if (dry.failed)
            return {
              status: 'fail',
              message: `the dry run failed (exit ${dry.exitCode}): ${redactText(dry.stderr || dry.stdout, [ctx.url]).slice(-400)}`,
            };
          sources.push({ sql: sqlOfDryRun(dry.stdout), file: `${tool.tool} --dry-run` });
        } else {
          for (const m of ctx.pending) {
            if (m.sql !== undefined) sources.push({ sql: m.sql, file: m.file });
            else unread.push(m.name);
          }
        }
        const blocking: string[] = [];
        for (const source of sources) {
          const result = await lintMigration(source.sql, source.file);
          for (const f of result.findings)
            if (f.severity === 'error' && !f.ignored) blocking.push(`${source.file}:${f.line} ${f.rule}`);
        }
        if (blocking.length > 0)
          return {
            status: 'fail',
            message: `${blocking.length} unresolved dangerous statement(s): ${blocking.join(', ')}`,
            hint: 'Rewrite them the safe way (prodguard migrate lint <file>), or add -- prodguard-ignore <rule> <reason>.',
          };
        if (unread.length > 0)
          return {
            status: 'warn',
            message: `${tool.tool} has no SQL dry run for JavaScript migrations: not linted: ${unread.join(', ')}`,
          };
        return { status: 'pass', message: `${sources.length} SQL source(s) lint clean` };
      },
    },
  ];
}

/**
 * Applies an environment's pending migrations with the project's own tool (or, for a plain SQL folder, file by
 * file in prodguard), behind the same guards as Prisma migrations: order, lock, freezes, lint where SQL can be
 * read, a verified backup before the final environment, and the audit, as one kernel operation.
 */
export async function runMigrateTool(
  options: MigrateToolOptions,
  deps: MigrateToolDeps,
): Promise<MigrateToolResult> {
  const { tool } = deps;
  const target = resolveDatabaseTarget(deps.config, options.environment, deps.env);
  const result: MigrateToolResult = {
    environment: options.environment,
    tool: tool.tool,
    pending: [],
    applied: [],
    warnings: [],
  };
  const refuse = (message: string) => {
    deps.audit.append({
      actor: deps.actor,
      environment: options.environment,
      action: 'migrate.deploy',
      target: result.pending.join(', ') || undefined,
      reason: options.overrides?.[0]?.reason,
      outcome: 'refused',
      details: {
        tool: tool.tool,
        ...migrateAuditDetails({ evaluation: result.evaluation, overrides: options.overrides }),
      },
    });
    result.error = { code: 'PRODGUARD_MIGRATE_REFUSED', message };
    return result;
  };
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
      const ops = new OperationStore(deps.store, deps.clock, deps.audit);
      refuseInterrupted(ops, new TypedEvents<OperationEventMap>(), options.environment);
      const status = await readToolStatus(tool, target.url);
      const pending = listToolMigrations(tool).filter((m) => status.pending.includes(m.name));
      result.pending = pending.map((m) => m.name);
      if (status.edited.length + status.missing.length + status.outOfOrder.length > 0)
        result.warnings.push(
          `history differs from ${tool.table}: edited ${status.edited.join(', ') || '-'}; missing ${status.missing.join(', ') || '-'}; out of order ${status.outOfOrder.join(', ') || '-'}`,
        );
      if (pending.length === 0 && tool.tool !== 'command') return result;
      const context: ToolContext = { environment: options.environment, url: target.url, pending, status };
      const rules = {
        config: deps.config,
        action: 'migrate' as const,
        environment: options.environment,
        checks: toolChecks(deps),
        context,
        overrides: options.overrides ?? [],
        clock: deps.clock,
      };
      const evaluation = await evaluateRules({
        ...rules,
        only: [
          'migration-history-intact',
          'staging-first',
          'migration-lint',
          'no-friday-deploys',
          'deploy-freeze',
        ],
      });
      result.evaluation = evaluation;
      if (!evaluation.ok)
        return refuse(
          `migrate deploy ${options.environment} refused by ${evaluation.blocking.map((v) => v.id).join(', ')}`,
        );
      const backupEvaluation = await evaluateRules<ToolContext>({
        ...rules,
        only: ['migration-backup'],
        checks: [
          {
            ruleId: 'migration-backup',
            async run(): Promise<CheckOutcome> {
              const taken = await freshOrNewBackup(
                {
                  environment: options.environment,
                  url: target.url,
                  reason: `before ${tool.tool} migrations ${result.pending.join(', ')}`,
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
      evaluation.overridden.push(...backupEvaluation.overridden);
      if (!backupEvaluation.ok) {
        evaluation.ok = false;
        evaluation.blocking.push(...backupEvaluation.blocking);
        return refuse(`migrate deploy ${options.environment} refused: no backup`);
      }
      for (const v of evaluation.overridden)
        ops.record({
          actor: deps.actor,
          environment: options.environment,
          action: 'rule.override',
          target: v.id,
          reason: v.overrideReason,
          outcome: 'overridden',
          details: { for: `migrate deploy (${tool.tool})`, message: v.message },
        });
      const overridden = evaluation.overridden.map((v) => ({ rule: v.id, reason: v.overrideReason }));
      const { op } = ops.begin({
        kind: 'migrate-tool',
        environment: options.environment,
        actor: deps.actor,
        params: {
          tool: tool.tool,
          pending: result.pending,
          ...(result.backup ? { backupId: result.backup.id } : {}),
          ...(overridden.length > 0 ? { overrides: overridden } : {}),
        },
        state: {},
        subject: `${tool.tool}: ${result.pending.join(', ') || 'pending'}`,
        audit: {
          action: 'migrate.deploy',
          target: result.pending.join(', ') || tool.tool,
          details: {
            tool: tool.tool,
            migrations: result.pending,
            ...migrateAuditDetails({ evaluation, backup: result.backup }),
            ...(overridden.length > 0 ? { overridden } : {}),
          },
        },
      });
      return executeMigrateTool(op, { ops, lock, url: target.url, deps, result });
    },
  );
}

interface ExecuteMigrateToolInput {
  ops: OperationStore;
  lock: EnvironmentLock;
  url: string;
  deps: Pick<MigrateToolDeps, 'tool' | 'processes' | 'env' | 'config' | 'clock'>;
  result: MigrateToolResult;
}

class ToolFailed extends Error {}

/**
 * The journaled apply, also what `prodguard resume` runs: the tool itself skips what its table says is applied,
 * and a sql-folder file cut off mid-transaction left nothing, so running again is safe.
 */
export async function executeMigrateTool(
  op: OperationRecord<'migrate-tool'>,
  input: ExecuteMigrateToolInput,
): Promise<MigrateToolResult> {
  const { ops, deps, result } = input;
  const { tool } = deps;
  result.operationId = op.id;
  const runner = new OperationRunner(op, ops, new TypedEvents<OperationEventMap>(), input.lock);
  try {
    if (tool.tool === 'sql-folder') await applySqlFolder(runner, input);
    else {
      const [file, ...args] = tool.command!;
      await runner.step('run', async () => {
        const run = await deps.processes.run(file!, args, {
          cwd: deps.config.root,
          env: toolEnv(deps.env, input.url),
          timeoutMs: deps.config.database.statementTimeout,
        });
        result.output = redactText(`${run.stdout}${run.stderr}`, [input.url]);
        if (run.failed)
          throw new ToolFailed(
            `${tool.tool} exited ${run.exitCode ?? run.signal ?? run.spawnError}: ${result.output.trim().split('\n').slice(-5).join('\n')}`,
          );
        return { durationMs: run.durationMs, exitCode: run.exitCode };
      });
    }
  } catch (error) {
    if (!(error instanceof ToolFailed)) throw error;
    result.error = {
      code: 'PRODGUARD_MIGRATE_FAILED',
      message: `${tool.tool} failed on ${op.environment}. ${error.message}`,
      hint: `Fix the migration; ${tool.table} records what was applied. Then deploy again (or prodguard abort ${op.id}).`,
    };
  }
  const after = await readToolStatus(tool, input.url);
  result.applied = op.params.pending.filter((n) => after.applied.includes(n));
  ops.finish(op, result.error ? 'failed' : 'succeeded', {
    message:
      result.error?.message ??
      `${result.applied.length} ${tool.tool} migration(s) applied on ${op.environment}`,
    error: result.error?.message,
    audit: {
      target: result.applied.join(', ') || op.subject,
      details: { tool: tool.tool, applied: result.applied },
    },
  });
  return result;
}

const SQL_FOLDER_TABLE_DDL = (table: string) => `CREATE TABLE IF NOT EXISTS ${table} (
  installed_rank SERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  checksum CHAR(64) NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ
)`;

/** Each file in its own transaction with its history row, under an advisory lock; stops at the first failure. */
async function applySqlFolder(
  runner: OperationRunner<'migrate-tool'>,
  input: ExecuteMigrateToolInput,
): Promise<void> {
  const { deps, result } = input;
  const { tool } = deps;
  const db = await openPgSession(input.url, 'prodguard migrate deploy');
  try {
    await db.query('SELECT pg_advisory_lock(hashtext($1))', [`prodguard:${tool.table}`]);
    await db.exec(SQL_FOLDER_TABLE_DDL(tool.table));
    const files = new Map(listToolMigrations(tool).map((m) => [m.name, m]));
    const applied = new Set((await readToolApplied(tool, db)).map((a) => a.name));
    for (const name of runner.op.params.pending) {
      if (applied.has(name)) continue;
      const m = files.get(name);
      if (!m?.sql || !m.checksum)
        throw new ProdguardError(
          'PRODGUARD_MIGRATE_HISTORY_CHANGED',
          `${name} is missing since the operation started.`,
          {
            kind: 'refused',
            hint: `Restore it, or prodguard abort ${runner.op.id}`,
          },
        );
      const started = deps.clock.now().toISOString();
      await runner.step(`apply:${name}`, async () => {
        const t0 = deps.clock.nowMs();
        try {
          await applyMigrationScript(db, m.sql!, {
            lockTimeoutMs: deps.config.database.lockTimeout,
            statementTimeoutMs: deps.config.database.statementTimeout,
            afterScriptSql: `INSERT INTO ${tool.table} (name, checksum, started_at, finished_at) VALUES (${sqlLiteral(name)}, ${sqlLiteral(m.checksum!)}, ${sqlLiteral(started)}, clock_timestamp())`,
          });
        } catch (error) {
          throw new ToolFailed(`${name}: ${redactText((error as Error).message)}`);
        }
        return { durationMs: Math.max(0, deps.clock.nowMs() - t0) };
      });
      result.applied.push(name);
    }
  } finally {
    await db.close();
  }
}

/** Abort: the tool's table (or prodguard's, for a SQL folder) already says what is applied; nothing half done stays. */
export function abortMigrateTool(op: OperationRecord<'migrate-tool'>, ops: OperationStore): string {
  const message = `Aborted ${op.params.tool} migrate deploy ${op.id}; ${op.params.tool === 'sql-folder' ? 'each file ran in its own transaction' : `the tool's own table records what was applied`}. Run migrate status to see it.`;
  ops.finish(op, 'aborted', { message, error: 'aborted after an interruption' });
  return message;
}
