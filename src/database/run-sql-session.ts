import type { AuditLog } from '../audit/index.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError, UsageError } from '../kernel/errors.js';
import { type CheckOutcome, evaluateRules, type RuleEvaluation, type RuleOverride } from '../rules/index.js';
import { type ClassifiedStatement, classifySql, type SqlStatementKind } from './classify-sql.js';
import { describePgError, openPgSession } from './pg-session.js';

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
  results: SqlStatementResult[];
  evaluation: RuleEvaluation;
}

export interface SqlSessionOptions {
  environment: string;
  url: string;
  final: boolean;
  sql: string;
  write: boolean;
  reason?: string;
  overrides?: readonly RuleOverride[];
  statementTimeoutMs: number;
}

function countKinds(statements: readonly ClassifiedStatement[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of statements) counts[s.node] = (counts[s.node] ?? 0) + 1;
  return counts;
}

/**
 * A guarded SQL session. On the final environment it runs in BEGIN READ ONLY unless --write --reason;
 * schema and role/password changes are refused there whatever the flags (golden rule 1). Audited with the
 * statement kinds, never the values.
 */
export async function runSqlSession(
  options: SqlSessionOptions,
  deps: { config: Pick<Config, 'environments' | 'rules'>; clock: Clock; audit: AuditLog; actor: string },
): Promise<SqlSessionResult> {
  if (options.write && (!options.reason || options.reason.trim().length < 3))
    throw new UsageError('PRODGUARD_SQL_REASON_MISSING', '--write needs --reason "<why>".', {
      hint: 'Writes by hand are audited; the reason is what the next person reads.',
    });
  const statements = await classifySql(options.sql);
  const kinds = countKinds(statements);
  const forbidden = statements.filter(
    (s) => s.kind === 'ddl' || s.kind === 'role' || s.kind === 'transaction',
  );
  const writes = statements.filter((s) => s.kind === 'write');
  const evaluation = await evaluateRules({
    config: deps.config,
    action: 'sql',
    environment: options.environment,
    only: ['no-direct-production-changes'],
    overrides: options.overrides ?? [],
    clock: deps.clock,
    context: undefined,
    checks: [
      {
        ruleId: 'no-direct-production-changes',
        async run(): Promise<CheckOutcome> {
          if (forbidden.length > 0) {
            const role = forbidden.some((s) => s.kind === 'role');
            const tx = forbidden.every((s) => s.kind === 'transaction');
            return {
              status: 'fail',
              message: tx
                ? `transaction control and read-only settings are not allowed here (${[...new Set(forbidden.map((s) => s.node))].join(', ')}): prodguard owns the transaction`
                : `${role ? 'role/password change' : 'schema change'} by hand on ${options.environment}: ${[...new Set(forbidden.map((s) => s.node))].join(', ')}`,
              hint: role
                ? 'Rotate credentials with `prodguard secrets rotate <name> --env <env>` (staging first); never ALTER ROLE … PASSWORD by hand.'
                : 'Write a migration: `prodguard migrate new <name>`, deploy it to staging, then production.',
              details: { forbidden: forbidden.map((s) => s.node) },
            };
          }
          if (writes.length > 0 && !options.write)
            return {
              status: 'fail',
              message: `${writes.length} write statement(s) on ${options.environment}, which is read-only by default`,
              hint: 'Pass --write --reason "<why>" (audited), or run it on staging.',
            };
          return {
            status: 'pass',
            message: options.write ? `writes allowed: ${options.reason}` : 'read-only session',
          };
        },
      },
    ],
  });
  const audit = (
    outcome: 'success' | 'refused' | 'failed' | 'overridden',
    extra: Record<string, unknown> = {},
  ) =>
    deps.audit.append({
      actor: deps.actor,
      environment: options.environment,
      action: 'sql.session',
      reason: options.reason ?? options.overrides?.[0]?.reason,
      outcome,
      details: { statements: kinds, write: options.write, ...extra },
    });
  // Schema and password changes on the final environment cannot be overridden: there is a right path.
  const hardRefusal = options.final && forbidden.some((s) => s.kind === 'ddl' || s.kind === 'role');
  if (!evaluation.ok || hardRefusal) {
    audit('refused', { verdict: evaluation.verdicts[0]?.message });
    const verdict = evaluation.verdicts[0]!;
    throw new ProdguardError(
      'PRODGUARD_SQL_REFUSED',
      `Refused by no-direct-production-changes: ${verdict.message}.`,
      { kind: 'refused', hint: verdict.hint, details: { evaluation } },
    );
  }
  const readOnly = options.final && !options.write;
  const db = await openPgSession(options.url, 'prodguard sql');
  const results: SqlStatementResult[] = [];
  try {
    await db.exec(
      `BEGIN${readOnly ? ' READ ONLY' : ''}; SET LOCAL statement_timeout = ${Math.round(options.statementTimeoutMs)};`,
    );
    try {
      for (const statement of statements) {
        const r = await db.query(statement.text);
        results.push({
          node: statement.node,
          kind: statement.kind,
          command: r.command,
          rowCount: r.rowCount,
          fields: r.rows[0] ? Object.keys(r.rows[0]) : [],
          rows: r.rows,
        });
      }
      await db.exec('COMMIT');
    } catch (error) {
      await db.exec('ROLLBACK').catch(() => {});
      audit('failed', { error: describePgError(error) });
      throw new ProdguardError(
        'PRODGUARD_SQL_FAILED',
        `Statement ${results.length + 1} failed on ${options.environment}; the session was rolled back: ${describePgError(error)}`,
        { cause: error },
      );
    }
  } finally {
    await db.close();
  }
  audit(evaluation.overridden.length > 0 ? 'overridden' : 'success', {
    rowsAffected: results.filter((r) => r.kind === 'write').reduce((n, r) => n + (r.rowCount ?? 0), 0),
  });
  return {
    environment: options.environment,
    mode: readOnly ? 'read-only' : 'read-write',
    results,
    evaluation,
  };
}
