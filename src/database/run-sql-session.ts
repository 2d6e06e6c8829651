import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError, UsageError } from '../kernel/errors.js';
import { type ClassifiedStatement, classifySql, type SqlStatementKind } from './classify-sql.js';
import { judgeConsoleRole, readConsoleRoleFacts } from './console/check-console-role.js';
import { openConsoleConnection } from './console/console-connection.js';
import { type ConsolePlan, planConsoleSession } from './console/plan-console-session.js';
import { describePgError } from './pg-session.js';

export interface SqlStatementResult {
  node: string;
  kind: SqlStatementKind;
  command: string;
  rowCount: number | null;
  fields: string[];
  rows: Record<string, unknown>[];
}

export interface SqlSessionResult {
  environment: string;
  mode: 'read-only' | 'read-write';
  /** The role the session ran as (session_user), on the final environment. */
  role?: string;
  results: SqlStatementResult[];
  functions: string[];
}

/** What a write session shows before COMMIT: one line per statement, counts only. */
export interface SqlWriteSummary {
  environment: string;
  reason: string;
  statements: { node: string; command: string; rowCount: number | null }[];
  rowsAffected: number;
}

export interface SqlSessionOptions {
  environment: string;
  /** The environment's own URL: writes on the final environment, everything elsewhere. */
  url: string;
  /** The read-only role's URL: reads on the final environment. */
  readonlyUrl?: string;
  /** The allowlist applies: the final environment, or one listed in rules.no-direct-production-changes.environments. */
  final: boolean;
  sql: string;
  /** Set for `--write "<reason>"`. */
  write?: { reason: string };
  statementTimeoutMs: number;
  /** lock_timeout for writes (database.lockTimeout); 5s when omitted. */
  lockTimeoutMs?: number;
  /** database.consoleFunctions */
  consoleFunctions?: readonly string[];
}

export interface SqlSessionDeps {
  clock: Clock;
  audit: Pick<AuditLog, 'append'>;
  actor: string;
  /**
   * Asked after the writes ran and before COMMIT, with the row counts; false rolls back. Required for
   * `--write` on the final environment (the CLI answers from a TTY prompt or `--yes`).
   */
  confirm?: (summary: SqlWriteSummary) => Promise<boolean>;
}

/** A write reason a reader can act on: at least 10 characters and two words. */
export function assertWriteReason(reason: string | undefined): string {
  const text = (reason ?? '').trim();
  const words = text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (text.length < 10 || words.length < 2 || text.startsWith('-'))
    throw new UsageError(
      'PRODGUARD_SQL_REASON_MISSING',
      '--write needs a reason of at least 10 characters and two words, e.g. --write "refund ticket #4312".',
      { hint: 'Writes by hand are audited; the reason is what the next person reads.' },
    );
  return text;
}

/** How long a write transaction may wait for its confirmation before the server ends it. */
export const WRITE_IDLE_TIMEOUT_MS = 120_000;

function countKinds(statements: readonly ClassifiedStatement[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of statements) counts[s.node] = (counts[s.node] ?? 0) + 1;
  return counts;
}

/**
 * The guarded SQL console.
 *
 * On the final environment: every statement must be a known read (or, with `--write "<reason>"`, an
 * INSERT/UPDATE/DELETE/MERGE) and call only allowlisted functions; DDL, role changes, transaction control,
 * session settings, COPY and utility statements are refused whatever the flags. Reads run as the read-only
 * role in BEGIN READ ONLY and end with ROLLBACK; writes run as the app role in one transaction, committed only
 * after `confirm` saw the row counts. Superuser or otherwise elevated connections are refused before
 * anything runs. Elsewhere the SQL runs in one transaction as given. Audited with statement kinds, functions
 * and row counts, never the text or its values.
 */
export async function runSqlSession(
  options: SqlSessionOptions,
  deps: SqlSessionDeps,
): Promise<SqlSessionResult> {
  const reason = options.write ? assertWriteReason(options.write.reason) : undefined;
  const statements = await classifySql(options.sql);
  const kinds = countKinds(statements);
  const plan: ConsolePlan = planConsoleSession(statements, {
    write: reason !== undefined,
    extraFunctions: options.consoleFunctions ?? [],
  });
  const audit = (
    outcome: 'success' | 'refused' | 'failed' | 'started' | 'rolled-back',
    extra: Record<string, unknown> = {},
  ) =>
    deps.audit.append({
      actor: deps.actor,
      environment: options.environment,
      action: 'sql.session',
      ...(reason ? { reason } : {}),
      outcome,
      details: { statements: kinds, functions: plan.functions, write: reason !== undefined, ...extra },
    });
  if (!options.final) return runPlain(options, statements, audit, plan);

  if (plan.refusals.length > 0) {
    audit('refused', { refusals: plan.refusals.map((r) => r.tag) });
    const first = plan.refusals[0]!;
    const more =
      plan.refusals.length > 1
        ? ` (and ${plan.refusals.length - 1} more: ${plan.refusals
            .slice(1)
            .map((r) => r.tag)
            .join(', ')})`
        : '';
    throw new ProdguardError(
      'PRODGUARD_SQL_REFUSED',
      `Refused by no-direct-production-changes on ${options.environment}: ${first.message}${more}. Nothing ran.`,
      { kind: 'refused', hint: first.hint, details: { refusals: plan.refusals } },
    );
  }
  if (reason !== undefined && !deps.confirm)
    throw new UsageError(
      'PRODGUARD_SQL_CONFIRM_NEEDED',
      '--write on the final environment needs a confirmation.',
      {
        hint: 'Run it on a terminal to confirm the row counts, or pass --yes (CI).',
      },
    );
  const url = reason !== undefined ? options.url : options.readonlyUrl;
  if (!url)
    throw new ProdguardError(
      'PRODGUARD_SQL_READONLY_MISSING',
      `No read-only credential for ${options.environment}: the console does not read production with the app's or an admin's role.`,
      {
        kind: 'usage',
        hint: `Create the read-only role and the vault entry holding its URL with \`prodguard secrets setup-roles --env ${options.environment}\` (or set environments.${options.environment}.database.readonlyUrlEnv).`,
      },
    );
  const db = await openConsoleConnection(url);
  try {
    const facts = await readConsoleRoleFacts(db);
    const problems = judgeConsoleRole(facts, reason !== undefined ? 'write' : 'read');
    if (problems.length > 0) {
      audit('refused', { role: facts.sessionUser, roleProblems: problems });
      throw new ProdguardError(
        'PRODGUARD_SQL_ROLE_REFUSED',
        `The console will not run on ${options.environment} with this connection: ${problems.join('; ')}. Nothing ran.`,
        {
          kind: 'refused',
          hint:
            reason !== undefined
              ? 'Writes use the environment URL of the application role (database.urlEnv), never an admin or superuser URL.'
              : `Reads use the read-only role from \`prodguard secrets setup-roles --env ${options.environment}\`, never the app's or an admin's URL.`,
          details: { role: facts.sessionUser, problems },
        },
      );
    }
    if (reason !== undefined) audit('started', { role: facts.sessionUser });
    const results: SqlStatementResult[] = [];
    await db.exec(`BEGIN${reason === undefined ? ' READ ONLY' : ''}`);
    await db.exec(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(options.statementTimeoutMs))}`);
    if (reason !== undefined) {
      // A hand-written UPDATE must not queue behind a lock (and all traffic behind it), nor hold its row locks
      // while nobody answers the confirmation: the server ends a transaction left idle that long.
      await db.exec(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(options.lockTimeoutMs ?? 5_000))}`);
      await db.exec(`SET LOCAL idle_in_transaction_session_timeout = ${WRITE_IDLE_TIMEOUT_MS}`);
    }
    try {
      for (const statement of statements) results.push(await runOne(db, statement));
    } catch (error) {
      await db.exec('ROLLBACK').catch(() => {});
      audit('failed', {
        role: facts.sessionUser,
        failedStatement: results.length + 1,
        sqlstate: sqlstateOf(error),
      });
      throw new ProdguardError(
        'PRODGUARD_SQL_FAILED',
        `Statement ${results.length + 1} failed on ${options.environment}; the session was rolled back: ${describePgError(error)}`,
        { cause: error },
      );
    }
    const counts = results.map((r) => ({
      node: r.node,
      command: r.command,
      rowCount: r.kind === 'write' ? r.rowCount : null,
    }));
    const rowsAffected = counts.reduce((n, c) => n + (c.rowCount ?? 0), 0);
    if (reason === undefined) {
      // A read has nothing to keep: ROLLBACK, so even a write that slipped through every guard would not persist.
      await db.exec('ROLLBACK');
      audit('success', { role: facts.sessionUser, rowsReturned: results.map((r) => r.rows.length) });
      return {
        environment: options.environment,
        mode: 'read-only',
        role: facts.sessionUser,
        results,
        functions: plan.functions,
      };
    }
    let confirmed = false;
    try {
      confirmed = await deps.confirm!({
        environment: options.environment,
        reason,
        statements: counts,
        rowsAffected,
      });
    } finally {
      if (!confirmed) await db.exec('ROLLBACK').catch(() => {});
    }
    if (!confirmed) {
      audit('rolled-back', {
        role: facts.sessionUser,
        rowsAffected,
        perStatement: counts.map((c) => c.rowCount),
      });
      throw new ProdguardError(
        'PRODGUARD_SQL_NOT_CONFIRMED',
        `Not confirmed: the ${rowsAffected} row change(s) on ${options.environment} were rolled back.`,
        { kind: 'refused', hint: 'Nothing was written.' },
      );
    }
    try {
      await db.exec('COMMIT');
    } catch (error) {
      audit('failed', { role: facts.sessionUser, rowsAffected, sqlstate: sqlstateOf(error) });
      throw new ProdguardError(
        'PRODGUARD_SQL_FAILED',
        `COMMIT failed on ${options.environment}; nothing was written: ${describePgError(error)}`,
        {
          cause: error,
          hint: `The server ends a write transaction left waiting ${WRITE_IDLE_TIMEOUT_MS / 1000}s for its confirmation; run it again and answer sooner.`,
        },
      );
    }
    audit('success', { role: facts.sessionUser, rowsAffected, perStatement: counts.map((c) => c.rowCount) });
    return {
      environment: options.environment,
      mode: 'read-write',
      role: facts.sessionUser,
      results,
      functions: plan.functions,
    };
  } finally {
    await db.close();
  }
}

function sqlstateOf(error: unknown): string | null {
  return (error as { code?: string }).code ?? null;
}

async function runOne(
  db: Awaited<ReturnType<typeof openConsoleConnection>>,
  statement: ClassifiedStatement,
): Promise<SqlStatementResult> {
  const r = await db.query(statement.text);
  return {
    node: statement.node,
    kind: statement.kind,
    command: r.command,
    rowCount: r.rowCount,
    fields: r.fields,
    rows: r.rows,
  };
}

/** Non-final environments: the SQL runs as given in one transaction (audited the same way). */
async function runPlain(
  options: SqlSessionOptions,
  statements: readonly ClassifiedStatement[],
  audit: (outcome: 'success' | 'failed', extra?: Record<string, unknown>) => unknown,
  plan: ConsolePlan,
): Promise<SqlSessionResult> {
  const db = await openConsoleConnection(options.url);
  const results: SqlStatementResult[] = [];
  try {
    await db.exec('BEGIN');
    await db.exec(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(options.statementTimeoutMs))}`);
    try {
      for (const statement of statements) results.push(await runOne(db, statement));
      await db.exec('COMMIT');
    } catch (error) {
      await db.exec('ROLLBACK').catch(() => {});
      audit('failed', { failedStatement: results.length + 1, sqlstate: sqlstateOf(error) });
      throw new ProdguardError(
        'PRODGUARD_SQL_FAILED',
        `Statement ${results.length + 1} failed on ${options.environment}; the session was rolled back: ${describePgError(error)}`,
        { cause: error },
      );
    }
  } finally {
    await db.close();
  }
  audit('success', {
    rowsAffected: results.filter((r) => r.kind === 'write').reduce((n, r) => n + (r.rowCount ?? 0), 0),
  });
  return { environment: options.environment, mode: 'read-write', results, functions: plan.functions };
}
