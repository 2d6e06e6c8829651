import { parse } from 'libpg-query';
import { type OptionValue, optionIsOn } from './pg-option.js';
import type { PgSession } from './pg-session.js';

export interface ScriptShape {
  /** The file has its own BEGIN/COMMIT: it is sent as written, as Prisma sends it. */
  ownsTransaction: boolean;
  /** The file has CONCURRENTLY work: it runs outside a transaction, one statement at a time. */
  concurrent: boolean;
  /** Statement texts (only split when concurrent). */
  statements: string[];
}

const MAYBE_SPECIAL = /\b(concurrently|begin|commit|start\s+transaction|rollback|end)\b/i;

/** Reads how a migration must be run. Only scripts that mention the keywords pay for a parse. */
export async function readScriptShape(sql: string): Promise<ScriptShape> {
  if (!MAYBE_SPECIAL.test(sql)) return { ownsTransaction: false, concurrent: false, statements: [sql] };
  // biome-ignore lint/suspicious/noExplicitAny: parse tree walked by shape
  const tree: any = await parse(sql);
  const bytes = Buffer.from(sql);
  let ownsTransaction = false;
  let concurrent = false;
  const statements: string[] = [];
  for (const s of tree.stmts ?? []) {
    const stmt = s.stmt ?? {};
    if (stmt.TransactionStmt) ownsTransaction = true;
    if (
      stmt.IndexStmt?.concurrent ||
      (stmt.DropStmt?.concurrent && stmt.DropStmt.removeType === 'OBJECT_INDEX') ||
      stmt.ReindexStmt?.params?.some(
        (p: { DefElem?: { defname?: string; arg?: OptionValue } }) =>
          p.DefElem?.defname === 'concurrently' && optionIsOn(p.DefElem.arg),
      ) ||
      // biome-ignore lint/suspicious/noExplicitAny: parse tree walked by shape
      stmt.AlterTableStmt?.cmds?.some((c: any) => c.AlterTableCmd?.def?.PartitionCmd?.concurrent)
    )
      concurrent = true;
    const start = s.stmt_location ?? 0;
    statements.push(bytes.subarray(start, s.stmt_len ? start + s.stmt_len : bytes.length).toString('utf8'));
  }
  return { ownsTransaction, concurrent: concurrent && !ownsTransaction, statements };
}

export interface ApplyScriptOptions {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /** SQL run inside the migration's transaction after the script (e.g. marking the row finished). */
  afterScriptSql?: string;
  /**
   * A one-transaction script that fails on lock_timeout (SQLSTATE 55P03) left nothing behind, so it is
   * tried again after a pause, up to `retries` more times, the pause doubling from `backoffMs`. Scripts run
   * outside one transaction are never retried (a failed CONCURRENTLY statement can leave an invalid index).
   */
  lockRetry?: LockRetry;
}

export interface LockRetry {
  retries: number;
  backoffMs: number;
  sleep(ms: number): Promise<void>;
  /** Told before each pause: the attempt that failed (1-based) and the pause that follows. */
  onRetry?(attempt: number, waitMs: number, message: string): void;
}

/** PostgreSQL's lock_not_available: lock_timeout expired (or NOWAIT). */
export function isLockTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '55P03';
}

/**
 * Runs one migration script: in its own transaction with lock_timeout and statement_timeout; or, when it
 * contains CONCURRENTLY, statement by statement outside any transaction; or as written when it manages its
 * own transaction. Throws the PostgreSQL error (the transaction is rolled back).
 */
export async function applyMigrationScript(
  db: PgSession,
  sql: string,
  options: ApplyScriptOptions,
): Promise<ScriptShape> {
  const shape = await readScriptShape(sql);
  const timeouts = `SET lock_timeout = ${Math.round(options.lockTimeoutMs)}; SET statement_timeout = ${Math.round(options.statementTimeoutMs)};`;
  if (shape.ownsTransaction || shape.concurrent) {
    await db.exec(timeouts);
    try {
      if (shape.ownsTransaction) await db.exec(sql);
      else for (const statement of shape.statements) await db.exec(statement);
      if (options.afterScriptSql) await db.exec(options.afterScriptSql);
    } finally {
      await db.exec('RESET lock_timeout; RESET statement_timeout;').catch(() => {});
    }
    return shape;
  }
  // One round trip: the script is framed by newlines and ';' so a trailing comment cannot swallow COMMIT.
  // An error aborts the transaction at the failing statement; nothing after it runs.
  const batch = [
    `BEGIN; SET LOCAL lock_timeout = ${Math.round(options.lockTimeoutMs)}; SET LOCAL statement_timeout = ${Math.round(options.statementTimeoutMs)};`,
    sql,
    ';',
    options.afterScriptSql ?? '',
    ';',
    'COMMIT;',
  ].join('\n');
  const retries = Math.max(0, Math.floor(options.lockRetry?.retries ?? 0));
  for (let attempt = 1; ; attempt++) {
    try {
      await db.exec(batch);
      return shape;
    } catch (error) {
      await db.exec('ROLLBACK').catch(() => {});
      if (!options.lockRetry || !isLockTimeout(error) || attempt > retries) throw error;
      const waitMs = Math.round(options.lockRetry.backoffMs * 2 ** (attempt - 1));
      options.lockRetry.onRetry?.(attempt, waitMs, error instanceof Error ? error.message : String(error));
      await options.lockRetry.sleep(waitMs);
    }
  }
}

/** A SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1). */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
