import { parse } from 'libpg-query';
import { ProdguardError } from '../kernel/errors.js';
import { ALLOWED_OPERATORS, normalizeFunctionName } from './console/console-functions.js';
import { optionIsOn } from './pg-option.js';

/**
 * What a console statement does.
 * - read: SELECT/VALUES/TABLE without INTO or row locks and without data-modifying CTEs, SHOW, EXPLAIN
 *   (without ANALYZE, or ANALYZE of a read)
 * - write: INSERT/UPDATE/DELETE/MERGE, a data-modifying CTE, SELECT … FOR UPDATE/SHARE, EXPLAIN ANALYZE of those
 * - ddl: schema changes (CREATE/ALTER/DROP …, SELECT INTO, CREATE EXTENSION, TRUNCATE)
 * - role: roles, passwords and privileges (CREATE/ALTER/DROP ROLE, GRANT, REVOKE, default privileges)
 * - transaction: BEGIN/COMMIT/ROLLBACK/SAVEPOINT/SET TRANSACTION, SET CONSTRAINTS
 * - session: SET/RESET/DISCARD of session settings
 * - copy: COPY in any direction
 * - utility: code or server actions prodguard cannot inspect: DO, CALL, PREPARE/EXECUTE, cursors,
 *   LISTEN/NOTIFY, LOCK, VACUUM/ANALYZE, CHECKPOINT, LOAD, ALTER SYSTEM, CLUSTER, REINDEX, REFRESH …
 */
export type SqlStatementKind =
  | 'read'
  | 'write'
  | 'ddl'
  | 'role'
  | 'transaction'
  | 'session'
  | 'copy'
  | 'utility';

/** Something inside a statement that the production console refuses whatever the statement kind. */
export interface SqlConstructFinding {
  what: 'operator' | 'tablesample' | 'depth';
  name: string;
}

export interface ClassifiedStatement {
  kind: SqlStatementKind;
  /** The parse-tree node name, e.g. SelectStmt; recorded in the audit log instead of the text. */
  node: string;
  text: string;
  /** Every function called anywhere in the statement (subqueries, CTEs, FROM, filters), normalized, sorted. */
  functions: string[];
  /** Operators and table-sample methods that are not built in. */
  findings: SqlConstructFinding[];
  /** Why a SELECT counts as a write or as DDL (row locks, data-modifying CTE, INTO). */
  note?: string;
}

const WRITE = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
const ROLE = new Set([
  'CreateRoleStmt',
  'AlterRoleStmt',
  'AlterRoleSetStmt',
  'DropRoleStmt',
  'GrantRoleStmt',
  'GrantStmt',
  'AlterDefaultPrivilegesStmt',
  'ReassignOwnedStmt',
  'DropOwnedStmt',
  'AlterUserMappingStmt',
  'CreateUserMappingStmt',
]);
const UTILITY = new Set([
  'DoStmt',
  'CallStmt',
  'PrepareStmt',
  'ExecuteStmt',
  'DeallocateStmt',
  'DeclareCursorStmt',
  'FetchStmt',
  'ClosePortalStmt',
  'ListenStmt',
  'UnlistenStmt',
  'NotifyStmt',
  'LockStmt',
  'VacuumStmt',
  'CheckPointStmt',
  'LoadStmt',
  'AlterSystemStmt',
  'ClusterStmt',
  'ReindexStmt',
  'RefreshMatViewStmt',
  'AlterDatabaseSetStmt',
  'CreatedbStmt',
  'DropdbStmt',
]);

// biome-ignore lint/suspicious/noExplicitAny: parse tree walked by shape
type Ast = any;

function strings(list: Ast): string[] {
  return (Array.isArray(list) ? list : []).map((n: Ast) => String(n?.String?.sval ?? n?.String?.str ?? ''));
}

interface Walk {
  functions: Set<string>;
  findings: SqlConstructFinding[];
  nestedWrite: boolean;
  locking: boolean;
  into: boolean;
}

/** An operator is a function call: only built-in symbols, unqualified or in pg_catalog. */
function checkOperator(name: readonly string[], state: Walk): void {
  const symbol = name.at(-1) ?? '';
  const qualified = name.length > 1 && name[0] !== 'pg_catalog';
  if (qualified || !ALLOWED_OPERATORS.has(symbol))
    state.findings.push({ what: 'operator', name: name.join('.') });
}

const MAX_DEPTH = 2_000;

/** Visits every node of a statement, collecting what a policy needs to judge it. Bounded by the tree size. */
function walk(node: Ast, state: Walk, depth: number): void {
  if (node === null || typeof node !== 'object') return;
  if (depth > MAX_DEPTH) {
    // Fail closed: what is not walked is not judged.
    if (!state.findings.some((f) => f.what === 'depth'))
      state.findings.push({ what: 'depth', name: String(MAX_DEPTH) });
    return;
  }
  if (Array.isArray(node)) {
    for (const child of node) walk(child, state, depth + 1);
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'FuncCall') state.functions.add(normalizeFunctionName(strings((value as Ast).funcname)));
    else if (key === 'A_Expr' && ['AEXPR_OP', 'AEXPR_OP_ANY', 'AEXPR_OP_ALL'].includes((value as Ast).kind))
      checkOperator(strings((value as Ast).name), state);
    else if (key === 'SubLink' && (value as Ast).operName)
      checkOperator(strings((value as Ast).operName), state);
    else if (key === 'SortBy' && (value as Ast).useOp) checkOperator(strings((value as Ast).useOp), state);
    else if (key === 'RangeTableSample') {
      const method = normalizeFunctionName(strings((value as Ast).method));
      if (method !== 'system' && method !== 'bernoulli')
        state.findings.push({ what: 'tablesample', name: method });
    } else if (WRITE.has(key) && depth > 0) state.nestedWrite = true;
    else if (key === 'SelectStmt') {
      if ((value as Ast).lockingClause?.length) state.locking = true;
      if ((value as Ast).intoClause) state.into = true;
    }
    walk(value, state, depth + 1);
  }
}

function kindOf(node: string, body: Ast, state: Walk): { kind: SqlStatementKind; note?: string } {
  if (node === 'SelectStmt') {
    if (state.into) return { kind: 'ddl', note: 'SELECT INTO creates a table' };
    if (state.nestedWrite) return { kind: 'write', note: 'a data-modifying WITH query' };
    if (state.locking) return { kind: 'write', note: 'FOR UPDATE/SHARE locks rows' };
    return { kind: 'read' };
  }
  if (node === 'ExplainStmt') {
    const analyze = (body.options ?? []).some(
      (o: Ast) => o.DefElem?.defname === 'analyze' && optionIsOn(o.DefElem.arg),
    );
    const inner = Object.keys(body.query ?? {})[0] ?? 'SelectStmt';
    const innerKind = kindOf(inner, body.query?.[inner] ?? {}, state);
    // Without ANALYZE nothing runs, so explaining a write is a read; anything else keeps its own kind.
    if (!analyze && (inner === 'SelectStmt' || WRITE.has(inner)) && innerKind.kind !== 'ddl')
      return { kind: 'read' };
    return innerKind;
  }
  if (node === 'VariableShowStmt') return { kind: 'read' };
  if (WRITE.has(node)) return { kind: 'write' };
  if (node === 'CopyStmt') return { kind: 'copy' };
  if (ROLE.has(node)) return { kind: 'role' };
  if (node === 'TransactionStmt' || node === 'ConstraintsSetStmt') return { kind: 'transaction' };
  if (node === 'VariableSetStmt') {
    // SET TRANSACTION … / SET SESSION CHARACTERISTICS arrive as VariableSetStmt with these names.
    const name = String(body.name ?? '').toLowerCase();
    if (name.startsWith('transaction') || name === 'session characteristics') return { kind: 'transaction' };
    if (name === 'role' || name === 'session_authorization') return { kind: 'role' };
    return { kind: 'session' };
  }
  if (node === 'VariableResetStmt' || node === 'DiscardStmt') return { kind: 'session' };
  if (UTILITY.has(node)) return { kind: 'utility' };
  if (node === 'TruncateStmt')
    return { kind: 'ddl', note: 'TRUNCATE takes an ACCESS EXCLUSIVE lock and skips row triggers' };
  return { kind: 'ddl' };
}

/** Splits and classifies console input with PostgreSQL's parser (libpg-query). */
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
    const state: Walk = {
      functions: new Set(),
      findings: [],
      nestedWrite: false,
      locking: false,
      into: false,
    };
    walk(s.stmt, state, 0);
    const { kind, note } = kindOf(node, s.stmt[node] ?? {}, state);
    return {
      kind,
      node,
      text,
      functions: [...state.functions].sort(),
      findings: state.findings,
      ...(note ? { note } : {}),
    };
  });
}
