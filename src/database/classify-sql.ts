import { parse } from 'libpg-query';
import { ProdguardError } from '../kernel/errors.js';

/**
 * What a console statement does.
 * read: SELECT, SHOW, EXPLAIN (without ANALYZE of a write) · write: INSERT/UPDATE/DELETE/MERGE/COPY FROM/
 * TRUNCATE/CALL/SELECT INTO · ddl: schema changes and DO blocks · role: roles and passwords ·
 * transaction: BEGIN/COMMIT/SET TRANSACTION and settings that could lift the read-only guard · session: harmless SET
 */
export type SqlStatementKind = 'read' | 'write' | 'ddl' | 'role' | 'transaction' | 'session';

export interface ClassifiedStatement {
  kind: SqlStatementKind;
  /** The parse-tree node name, e.g. SelectStmt; recorded in the audit log instead of the text. */
  node: string;
  text: string;
}

const READ = new Set(['SelectStmt', 'VariableShowStmt', 'ExplainStmt']);
const WRITE = new Set([
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
  'CopyStmt',
  'TruncateStmt',
  'CallStmt',
]);
const ROLE = new Set([
  'CreateRoleStmt',
  'AlterRoleStmt',
  'AlterRoleSetStmt',
  'DropRoleStmt',
  'GrantRoleStmt',
  'ReassignOwnedStmt',
]);
const GUARD_SETTINGS = new Set([
  'transaction_read_only',
  'default_transaction_read_only',
  'session_authorization',
  'role',
  'transaction',
  'session characteristics',
]);

// biome-ignore lint/suspicious/noExplicitAny: parse tree walked by shape
type Ast = any;

function kindOf(node: string, body: Ast): SqlStatementKind {
  if (node === 'SelectStmt') return body.intoClause ? 'write' : 'read';
  if (node === 'ExplainStmt') {
    const analyze = (body.options ?? []).some((o: Ast) => o.DefElem?.defname === 'analyze');
    const inner = Object.keys(body.query ?? {})[0] ?? 'SelectStmt';
    return analyze ? kindOf(inner, body.query[inner]) : 'read';
  }
  if (READ.has(node)) return 'read';
  if (WRITE.has(node)) return node === 'CopyStmt' && !body.is_from ? 'read' : 'write';
  if (ROLE.has(node)) return 'role';
  if (node === 'TransactionStmt') return 'transaction';
  if (node === 'VariableSetStmt' || node === 'VariableResetStmt') {
    const name = String(body.name ?? '').toLowerCase();
    return GUARD_SETTINGS.has(name) || body.kind === 'VAR_RESET_ALL' ? 'transaction' : 'session';
  }
  if (node === 'DiscardStmt') return 'transaction';
  return 'ddl';
}

/** Splits and classifies console input with PostgreSQL's parser. */
export async function classifySql(sql: string): Promise<ClassifiedStatement[]> {
  let tree: Ast;
  try {
    tree = await parse(sql);
  } catch (cause) {
    throw new ProdguardError('PRODGUARD_SQL_PARSE', `The SQL does not parse: ${(cause as Error).message}`, {
      kind: 'usage',
      cause,
    });
  }
  const bytes = Buffer.from(sql);
  return (tree.stmts ?? []).map((s: Ast) => {
    const node = Object.keys(s.stmt ?? {})[0] ?? 'Unknown';
    const start = s.stmt_location ?? 0;
    const text = bytes
      .subarray(start, s.stmt_len ? start + s.stmt_len : bytes.length)
      .toString('utf8')
      .trim();
    return { kind: kindOf(node, s.stmt[node]), node, text };
  });
}
