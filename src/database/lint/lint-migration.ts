import { parse } from 'libpg-query';
import { ProdguardError } from '../../kernel/errors.js';
import { LINT_RULES } from './lint-rules.js';

// biome-ignore lint/suspicious/noExplicitAny: the PostgreSQL parse tree from libpg-query, walked by shape
type Ast = any;

export interface LintFinding {
  rule: string;
  severity: 'error' | 'warning';
  message: string;
  lock: string;
  safer: string;
  file: string;
  line: number;
  column: number;
  /** First line of the statement, for display. */
  statement: string;
  /** Set when a `-- prodguard-ignore <rule> <reason>` comment silences this finding. */
  ignored?: { reason: string };
}

export interface LintOptions {
  /**
   * Treat the whole file as one transaction, as Prisma sends a multi-statement migration.sql in one query
   * string (PostgreSQL runs it as one implicit transaction). Default true.
   */
  assumeInTransaction?: boolean;
}

export interface LintResult {
  file: string;
  findings: LintFinding[];
  /** Errors not silenced by an ignore comment. */
  blocking: number;
  statements: number;
}

const VOLATILE_FUNCTIONS = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
  'gen_random_bytes',
  'setseed',
]);

const INT_TYPES = new Set([
  'int2',
  'int4',
  'smallint',
  'integer',
  'int',
  'serial',
  'serial4',
  'smallserial',
  'serial2',
]);
const SERIAL_TYPES = new Set(['serial', 'serial4', 'serial8', 'bigserial', 'smallserial', 'serial2']);

/** Byte offsets (the parser's) → line and column (1-based, in characters). */
function positionMapper(bytes: Buffer): (offset: number) => { line: number; column: number } {
  const lineStarts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) lineStarts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const column = bytes.subarray(lineStarts[lo]!, offset).toString('utf8').length + 1;
    return { line: lo + 1, column };
  };
}

/** Offset of the first token of a statement, past leading whitespace and comments. */
function skipLeading(text: string): number {
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('--', i)) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else return i;
  }
}

const IGNORE_COMMENT = /--\s*(?:prodguard|squawk)-ignore\s+([a-z0-9,\s-]+?)(?:\s+(\S.*))?$/gm;

function namesOf(list: Ast[] | undefined): string[] {
  return (list ?? [])
    .map((n: Ast) => n?.String?.sval)
    .filter((s: unknown): s is string => typeof s === 'string');
}

function typeNameOf(typeName: Ast): string {
  const names = namesOf(typeName?.names);
  return names[names.length - 1] ?? '';
}

function isVolatile(expr: Ast): boolean {
  if (expr === null || typeof expr !== 'object') return false;
  if (Array.isArray(expr)) return expr.some(isVolatile);
  if (expr.FuncCall) {
    const name = namesOf(expr.FuncCall.funcname).pop() ?? '';
    if (VOLATILE_FUNCTIONS.has(name.toLowerCase())) return true;
  }
  return Object.values(expr).some(isVolatile);
}

function tableKey(relation: Ast): string {
  return `${relation?.schemaname ? `${relation.schemaname}.` : ''}${relation?.relname ?? ''}`.toLowerCase();
}

/**
 * Lints one migration script with PostgreSQL's own parser. Pure apart from the parser's WASM: same text,
 * same findings.
 */
export async function lintMigration(
  sql: string,
  file: string,
  options: LintOptions = {},
): Promise<LintResult> {
  let tree: Ast;
  try {
    tree = await parse(sql);
  } catch (cause) {
    const details = (cause as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const bytes = Buffer.from(sql);
    const at =
      details?.cursorPosition !== undefined
        ? positionMapper(bytes)(Buffer.from(sql.slice(0, details.cursorPosition)).length)
        : undefined;
    throw new ProdguardError(
      'PRODGUARD_LINT_PARSE',
      `${file}${at ? `:${at.line}:${at.column}` : ''}: PostgreSQL cannot parse this migration: ${(cause as Error).message}`,
      {
        kind: 'usage',
        cause,
        hint: 'Fix the SQL syntax; prodguard parses with the same parser as PostgreSQL 17.',
      },
    );
  }
  const bytes = Buffer.from(sql);
  const position = positionMapper(bytes);
  const stmts: { stmt: Ast; start: number; text: string }[] = (tree.stmts ?? []).map((s: Ast) => {
    const start = s.stmt_location ?? 0;
    const end = s.stmt_len ? start + s.stmt_len : bytes.length;
    return { stmt: s.stmt, start, text: bytes.subarray(start, end).toString('utf8') };
  });
  const assumeTx = options.assumeInTransaction ?? true;
  const created = new Set<string>();
  const findings: LintFinding[] = [];
  const notValidAdded = new Map<string, { table: string; check: Ast }>();
  const validated: { table: string; name: string }[] = [];
  let explicitTx = false;
  let lockTimeoutSet = false;
  let warnedTimeout = false;
  const meaningful = stmts.filter((s) => !s.stmt?.TransactionStmt && !s.stmt?.VariableSetStmt).length;
  const inTransaction = () => explicitTx || (assumeTx && meaningful > 1);

  for (const { stmt, start, text } of stmts) {
    const lead = skipLeading(text);
    const stmtOffset = start + Buffer.byteLength(text.slice(0, lead));
    const firstLine = text.slice(lead).split('\n')[0]!.trim();
    const ignores = new Map<string, string>();
    for (const match of text.matchAll(IGNORE_COMMENT)) {
      for (const rule of match[1]!.split(/[\s,]+/).filter(Boolean)) ignores.set(rule, match[2]?.trim() ?? '');
    }
    const report = (ruleId: string, message: string, offset?: number) => {
      const rule = LINT_RULES[ruleId]!;
      const at = position(offset !== undefined && offset >= stmtOffset ? offset : stmtOffset);
      const reason = ignores.get(ruleId) ?? ignores.get('all');
      findings.push({
        rule: ruleId,
        severity: rule.severity,
        message,
        lock: rule.lock,
        safer: rule.safer,
        file,
        line: at.line,
        column: at.column,
        statement: firstLine.length > 100 ? `${firstLine.slice(0, 97)}...` : firstLine,
        ...(reason !== undefined ? { ignored: { reason } } : {}),
      });
    };
    const strongLock = (table: string) => {
      if (lockTimeoutSet || warnedTimeout || created.has(table)) return;
      warnedTimeout = true;
      report('require-lock-timeout', `No lock_timeout is set before the first lock on "${table}".`);
    };
    const checkColumnTypes = (columnDef: Ast) => {
      const type = typeNameOf(columnDef?.typeName).toLowerCase();
      const col = String(columnDef?.colname ?? '');
      const loc = columnDef?.location;
      if (type === 'varchar' && (columnDef.typeName.typmods ?? []).length > 0)
        report(
          'prefer-text-field',
          `Column "${col}" is varchar(n); changing n later rewrites the table.`,
          loc,
        );
      if (type === 'timestamp')
        report('prefer-timestamp-tz', `Column "${col}" is timestamp without time zone.`, loc);
      if (INT_TYPES.has(type) && (/^id$/i.test(col) || /(_id|Id)$/.test(col)))
        report(
          'prefer-bigint-over-int',
          `Id column "${col}" is ${type}: 32-bit ids run out at 2.1 billion.`,
          loc,
        );
    };

    if (stmt.TransactionStmt) {
      const kind = stmt.TransactionStmt.kind;
      if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') explicitTx = true;
      if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK') explicitTx = false;
      continue;
    }
    if (stmt.VariableSetStmt) {
      if (stmt.VariableSetStmt.name === 'lock_timeout') lockTimeoutSet = true;
      continue;
    }
    if (stmt.CreateStmt) {
      const table = tableKey(stmt.CreateStmt.relation);
      created.add(table);
      for (const elt of stmt.CreateStmt.tableElts ?? []) if (elt.ColumnDef) checkColumnTypes(elt.ColumnDef);
      continue;
    }
    if (stmt.CreateTableAsStmt) {
      created.add(tableKey(stmt.CreateTableAsStmt.into?.rel));
      continue;
    }
    if (stmt.IndexStmt) {
      const idx = stmt.IndexStmt;
      const table = tableKey(idx.relation);
      if (idx.concurrent) {
        if (inTransaction())
          report(
            'ban-concurrent-index-creation-in-transaction',
            `CREATE INDEX CONCURRENTLY on "${table}" inside a transaction${explicitTx ? ' (BEGIN … COMMIT)' : ' (this file has other statements, and Prisma runs a file as one transaction)'}.`,
          );
      } else if (!created.has(table)) {
        strongLock(table);
        report(
          'require-concurrent-index-creation',
          `CREATE ${idx.unique ? 'UNIQUE ' : ''}INDEX on existing table "${table}" without CONCURRENTLY blocks writes while it builds.`,
          idx.relation?.location,
        );
      }
      continue;
    }
    if (stmt.DropStmt) {
      const drop = stmt.DropStmt;
      if (drop.removeType === 'OBJECT_INDEX') {
        if (!drop.concurrent)
          report('require-concurrent-index-deletion', 'DROP INDEX without CONCURRENTLY locks the table.');
        else if (inTransaction())
          report(
            'ban-concurrent-index-creation-in-transaction',
            'DROP INDEX CONCURRENTLY inside a transaction fails.',
          );
      } else if (drop.removeType === 'OBJECT_TABLE') {
        const names = (drop.objects ?? []).map((o: Ast) => namesOf(o.List?.items).join('.'));
        const existing = names.filter((n: string) => !created.has(n.toLowerCase()));
        if (existing.length > 0)
          report('ban-drop-table', `DROP TABLE ${existing.join(', ')}: its data is lost.`);
      }
      continue;
    }
    if (stmt.DropdbStmt) {
      report('ban-drop-database', `DROP DATABASE ${stmt.DropdbStmt.dbname}.`);
      continue;
    }
    if (stmt.TruncateStmt) {
      if (stmt.TruncateStmt.behavior === 'DROP_CASCADE')
        report('ban-truncate-cascade', 'TRUNCATE … CASCADE empties every table that references these.');
      continue;
    }
    if (stmt.RenameStmt) {
      const rename = stmt.RenameStmt;
      const table = tableKey(rename.relation);
      if (created.has(table)) continue;
      if (rename.renameType === 'OBJECT_COLUMN')
        report(
          'renaming-column',
          `Renaming column "${rename.subname}" of "${table}" to "${rename.newname}".`,
        );
      else if (rename.renameType === 'OBJECT_TABLE')
        report('renaming-table', `Renaming table "${table}" to "${rename.newname}".`);
      continue;
    }
    if (stmt.ReindexStmt) {
      const concurrent = (stmt.ReindexStmt.params ?? []).some(
        (p: Ast) => p.DefElem?.defname === 'concurrently',
      );
      if (!concurrent) report('require-concurrent-reindex', 'REINDEX without CONCURRENTLY.');
      else if (inTransaction())
        report(
          'ban-concurrent-index-creation-in-transaction',
          'REINDEX CONCURRENTLY inside a transaction fails.',
        );
      continue;
    }
    if (stmt.AlterDomainStmt) {
      if (stmt.AlterDomainStmt.subtype === 'C' && !stmt.AlterDomainStmt.def?.Constraint?.skip_validation)
        report(
          'ban-alter-domain-with-add-constraint',
          'ALTER DOMAIN … ADD CONSTRAINT checks every column of that type.',
        );
      continue;
    }
    if (stmt.AlterEnumStmt) {
      const e = stmt.AlterEnumStmt;
      if (e.newVal !== undefined && e.newValNeighbor === undefined)
        report(
          'require-enum-value-ordering',
          `ALTER TYPE ${namesOf(e.typeName).join('.')} ADD VALUE '${e.newVal}' without BEFORE/AFTER appends it last.`,
        );
      continue;
    }
    if (stmt.AlterTableStmt) {
      const alter = stmt.AlterTableStmt;
      const table = tableKey(alter.relation);
      if (alter.objtype && alter.objtype !== 'OBJECT_TABLE') continue;
      const isNew = created.has(table);
      for (const entry of alter.cmds ?? []) {
        const cmd = entry.AlterTableCmd;
        if (!cmd) continue;
        switch (cmd.subtype) {
          case 'AT_AddColumn': {
            const def = cmd.def?.ColumnDef;
            checkColumnTypes(def);
            if (isNew) break;
            const constraints: Ast[] = (def?.constraints ?? []).map((c: Ast) => c.Constraint).filter(Boolean);
            const col = def?.colname;
            const loc = def?.location;
            const hasDefault = constraints.find((c) => c.contype === 'CONSTR_DEFAULT');
            const generated = constraints.find((c) => c.contype === 'CONSTR_GENERATED');
            const type = typeNameOf(def?.typeName).toLowerCase();
            if (generated)
              report(
                'adding-field-with-default',
                `Adding generated column "${col}" rewrites "${table}".`,
                loc,
              );
            else if (hasDefault && isVolatile(hasDefault.raw_expr))
              report(
                'adding-field-with-default',
                `Column "${col}" gets a volatile DEFAULT: every row of "${table}" is rewritten.`,
                loc,
              );
            if (
              constraints.some((c) => c.contype === 'CONSTR_NOTNULL') &&
              !hasDefault &&
              !generated &&
              !SERIAL_TYPES.has(type)
            )
              report(
                'adding-required-field',
                `NOT NULL column "${col}" without a DEFAULT fails on a table that has rows.`,
                loc,
              );
            if (constraints.some((c) => c.contype === 'CONSTR_PRIMARY'))
              report(
                'adding-serial-primary-key-field',
                `Adding PRIMARY KEY column "${col}" to "${table}".`,
                loc,
              );
            if (constraints.some((c) => c.contype === 'CONSTR_UNIQUE'))
              report('disallowed-unique-constraint', `Adding UNIQUE column "${col}" to "${table}".`, loc);
            if (constraints.some((c) => c.contype === 'CONSTR_FOREIGN'))
              report('adding-foreign-key-constraint', `Column "${col}" REFERENCES another table.`, loc);
            strongLock(table);
            break;
          }
          case 'AT_AddConstraint': {
            const c = cmd.def?.Constraint;
            if (!c || isNew) break;
            const loc = c.location;
            const name = c.conname ?? '(unnamed)';
            if (c.skip_validation && c.conname)
              notValidAdded.set(c.conname.toLowerCase(), { table, check: c.raw_expr });
            if (c.contype === 'CONSTR_CHECK' && !c.skip_validation)
              report(
                'constraint-missing-not-valid',
                `CHECK constraint "${name}" on "${table}" without NOT VALID.`,
                loc,
              );
            if (c.contype === 'CONSTR_FOREIGN' && !c.skip_validation) {
              report(
                'constraint-missing-not-valid',
                `FOREIGN KEY "${name}" on "${table}" without NOT VALID.`,
                loc,
              );
              report(
                'adding-foreign-key-constraint',
                `FOREIGN KEY "${name}" checks every row of "${table}" while locking both tables.`,
                loc,
              );
            }
            if (c.contype === 'CONSTR_UNIQUE' && !c.indexname)
              report(
                'disallowed-unique-constraint',
                `UNIQUE constraint "${name}" builds its index on "${table}" under ACCESS EXCLUSIVE.`,
                loc,
              );
            if (c.contype === 'CONSTR_PRIMARY' && !c.indexname)
              report(
                'adding-serial-primary-key-field',
                `PRIMARY KEY on existing table "${table}" builds its index under ACCESS EXCLUSIVE.`,
                loc,
              );
            strongLock(table);
            break;
          }
          case 'AT_ValidateConstraint': {
            const name = String(cmd.name ?? '').toLowerCase();
            validated.push({ table, name });
            if (notValidAdded.has(name) && inTransaction())
              report(
                'constraint-missing-not-valid',
                `VALIDATE CONSTRAINT "${cmd.name}" runs in the same transaction as its ADD … NOT VALID, so the strong lock is held through the scan.`,
              );
            break;
          }
          case 'AT_SetNotNull': {
            if (isNew) break;
            const col = String(cmd.name ?? '');
            const proven = validated.some((v) => {
              if (v.table !== table) return false;
              const added = notValidAdded.get(v.name);
              if (added) return isNotNullCheckOn(added.check, col);
              return v.name.includes(col.toLowerCase());
            });
            if (!proven)
              report(
                'adding-not-nullable-field',
                `SET NOT NULL on "${table}"."${col}" scans the whole table under ACCESS EXCLUSIVE.`,
              );
            strongLock(table);
            break;
          }
          case 'AT_AlterColumnType':
            if (!isNew) {
              report(
                'changing-column-type',
                `Changing the type of "${table}"."${cmd.name}".`,
                cmd.def?.ColumnDef?.location,
              );
              strongLock(table);
            }
            break;
          case 'AT_DropColumn':
            if (!isNew) report('ban-drop-column', `Dropping column "${cmd.name}" of "${table}".`);
            break;
          case 'AT_DetachPartition':
            if (!cmd.def?.PartitionCmd?.concurrent)
              report(
                'require-concurrent-partition-detach',
                `DETACH PARTITION from "${table}" without CONCURRENTLY.`,
              );
            else if (inTransaction())
              report(
                'ban-concurrent-index-creation-in-transaction',
                'DETACH PARTITION CONCURRENTLY inside a transaction fails.',
              );
            break;
          default:
            break;
        }
      }
    }
  }
  return {
    file,
    findings,
    blocking: findings.filter((f) => f.severity === 'error' && !f.ignored).length,
    statements: stmts.length,
  };
}

function isNotNullCheckOn(expr: Ast, column: string): boolean {
  const test = expr?.NullTest;
  if (test?.nulltesttype !== 'IS_NOT_NULL') return false;
  const fields = namesOf(test.arg?.ColumnRef?.fields);
  return fields[fields.length - 1] === column;
}
