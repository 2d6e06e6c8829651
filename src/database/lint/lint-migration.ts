import { parse } from 'libpg-query';
import { ProdguardError } from '../../kernel/errors.js';
import { optionIsOn } from '../pg-option.js';
import { type ColumnType, planColumnTypeChange, readColumnType } from './column-type.js';
import { LINT_RULE_ALIASES, LINT_RULES } from './lint-rules.js';
import { cloneLintSchema, emptyLintSchema, type LintSchema, tableOf } from './lint-schema.js';
import {
  type Ast,
  doBlockStatements,
  isNotNullCheckOn,
  isVolatile,
  namesOf,
  outputColumnName,
  positionMapper,
  quoteIdent,
  relationOf,
  skipLeading,
  stringConstants,
  usingKeepsContents,
} from './parse-tree.js';

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
   * The tool sends a multi-statement file as one query string, so PostgreSQL runs it as one implicit
   * transaction (Prisma does). Default true.
   */
  assumeInTransaction?: boolean;
  /** Major version of the target server; the safe patterns differ before 11 and 12. Default 15. */
  postgresVersion?: number;
  /** The migration session's TimeZone is UTC (timestamp ↔ timestamptz then needs no rewrite, PG12+). */
  sessionTimeZoneUtc?: boolean;
  /** What earlier migrations of the same history created; see {@link lintMigrationHistory}. */
  schema?: LintSchema;
}

export interface LintResult {
  file: string;
  findings: LintFinding[];
  /** Errors not silenced by an ignore comment. */
  blocking: number;
  statements: number;
}

const SERIAL_TYPES = new Set(['serial', 'serial4', 'serial8', 'bigserial', 'smallserial', 'serial2']);

const IGNORE_COMMENT = /--\s*(?:prodguard|squawk)-ignore\s+([a-z0-9,\s-]+?)(?:\s+(\S.*))?$/gm;

/**
 * Lints one migration script with PostgreSQL's own parser. Pure apart from the parser's WASM: same text and
 * options, same findings.
 *
 * @example
 * const { findings } = await lintMigration('CREATE INDEX "i" ON "User"("email");', 'm.sql');
 * findings[0].rule; // 'require-concurrent-index-creation'
 */
export async function lintMigration(
  sql: string,
  file: string,
  options: LintOptions = {},
): Promise<LintResult> {
  return (await lintMigrationWithSchema(sql, file, options)).result;
}

/** {@link lintMigration}, also returning the schema as known after the file (input to the next file). */
export async function lintMigrationWithSchema(
  sql: string,
  file: string,
  options: LintOptions = {},
): Promise<{ result: LintResult; schema: LintSchema }> {
  const schema = options.schema ? cloneLintSchema(options.schema) : emptyLintSchema();
  return { result: await lintInto(sql, file, options, schema), schema };
}

/** The linter proper: updates `schema` (owned by the caller) with what the file creates and changes. */
async function lintInto(
  sql: string,
  file: string,
  options: LintOptions,
  schema: LintSchema,
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
  const topLevel: { stmt: Ast; start: number; text: string }[] = (tree.stmts ?? []).map((s: Ast) => {
    const start = s.stmt_location ?? 0;
    const end = s.stmt_len ? start + s.stmt_len : bytes.length;
    return { stmt: s.stmt, start, text: bytes.subarray(start, end).toString('utf8') };
  });
  // A DO block's statements run inside that one statement's transaction; they are linted in its place,
  // pointing at the DO, when its body is plain SQL between BEGIN and END (no IF, LOOP, … to interpret).
  const stmts: { stmt: Ast; start: number; text: string; doBlock?: number }[] = [];
  for (const [index, entry] of topLevel.entries()) {
    const inner = entry.stmt?.DoStmt ? await doBlockStatements(entry.stmt) : undefined;
    if (inner) for (const stmt of inner) stmts.push({ ...entry, stmt, doBlock: index });
    else stmts.push(entry);
  }
  const pgVersion = options.postgresVersion ?? 15;
  // squawk's file-level directive: this file's statements are not wrapped in one transaction
  const assumeTx =
    (options.assumeInTransaction ?? true) &&
    !/^\s*--\s*(?:squawk|prodguard)-disable-assume-in-transaction\b/m.test(sql);
  const findings: LintFinding[] = [];

  // Tables and indexes created by this file: no other session can be using them yet.
  const created = new Set<string>();
  const createdIndexes = new Set<string>();
  // A multi-statement string is one implicit transaction: CONCURRENTLY fails anywhere in it, even after COMMIT.
  const oneQueryString = assumeTx && topLevel.length > 1;
  let explicitTx = false;
  // Statements in the same segment share a transaction, and so its locks.
  let segment = 0;
  let autoSegment = 1_000_000;
  const lockedIn = new Map<string, number>();
  const notValidAdded = new Map<string, { table: string; segment: number }>();
  const externallyValidated = new Set<string>();
  // Columns this file added to an existing table with no DEFAULT and has not filled since (no UPDATE of the
  // table): on a table that has rows they are NULL everywhere, so making them NOT NULL fails.
  const unfilled = new Map<string, Set<string>>();
  // Takes the column off the list; true when it was on it
  const takeUnfilled = (table: string, column: string) => unfilled.get(table)?.delete(column) ?? false;
  // squawk's prefer-robust-stmts state: inside a transaction a failed migration rolls back whole.
  let robustInTx = assumeTx;
  const droppedConstraints = new Set<string>();
  let lockTimeoutSet = false;
  let warnedTimeout = false;
  let openedAt: number | undefined;
  // enum values added in a transaction cannot be used until it commits
  const newEnumValues = new Map<string, number>();
  const createdTypes = new Set<string>();

  for (const { stmt, start, text, doBlock } of stmts) {
    const lead = skipLeading(text);
    const stmtOffset = start + Buffer.byteLength(text.slice(0, lead));
    const firstLine = text.slice(lead).split('\n')[0]!.trim();
    const ignores = new Map<string, string>();
    for (const match of text.matchAll(IGNORE_COMMENT)) {
      for (const id of match[1]!.split(/[\s,]+/).filter(Boolean))
        for (const rule of [id, ...(LINT_RULE_ALIASES[id] ?? [])]) ignores.set(rule, match[2]?.trim() ?? '');
    }
    const inTx = explicitTx || oneQueryString || doBlock !== undefined;
    const seg = explicitTx || oneQueryString ? segment : doBlock !== undefined ? -1 - doBlock : autoSegment++;
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
    const strongLock = (table: { key: string; shown: string }) => {
      lockedIn.set(table.key, seg);
      if (lockTimeoutSet || warnedTimeout || created.has(table.key)) return;
      warnedTimeout = true;
      report('require-lock-timeout', `No lock_timeout is set before the first lock on ${table.shown}.`);
    };
    const concurrentlyFails = (what: string) => {
      if (explicitTx || oneQueryString)
        report(
          'ban-concurrent-index-creation-in-transaction',
          `${what} inside a transaction fails${explicitTx ? ' (BEGIN … COMMIT)' : ' (this file has other statements, and a multi-statement file runs as one transaction)'}.`,
        );
    };
    const checkColumnType = (def: Ast) => {
      const names = namesOf(def?.typeName?.names);
      const raw = (names[names.length - 1] ?? '').toLowerCase();
      const type = readColumnType(def?.typeName);
      const col = quoteIdent(String(def?.colname ?? ''));
      const loc = def?.location;
      if (type?.name === 'varchar' && type.mods.length > 0)
        report('prefer-text-field', `Column ${col} is varchar(${type.mods[0]}).`, loc);
      if (type?.name === 'bpchar' || raw === 'char' || raw === 'character')
        report('ban-char-field', `Column ${col} is char(n): blank-padded.`, loc);
      if (type?.name === 'timestamp')
        report('prefer-timestamp-tz', `Column ${col} is timestamp without time zone.`, loc);
      if (type?.name === 'int4') report('prefer-bigint-over-int', `Column ${col} is a 32-bit integer.`, loc);
      if (type?.name === 'int2')
        report('prefer-bigint-over-smallint', `Column ${col} is a 16-bit integer.`, loc);
      if (SERIAL_TYPES.has(raw)) report('prefer-identity', `Column ${col} is ${raw}.`, loc);
      if (type?.name === 'json') report('prefer-jsonb', `Column ${col} is json.`, loc);
    };
    const duplicateNames = (names: (string | undefined)[], what: string) => {
      const seen = new Set<string>();
      for (const name of names) {
        if (name === undefined) continue;
        if (seen.has(name)) {
          report('ban-duplicate-column-assignments', `${what} names column ${quoteIdent(name)} twice.`);
          return;
        }
        seen.add(name);
      }
    };
    // SET a = …, a = … fails, and so does a = … beside a.x = …; fields or elements of one column
    // (a.x = …, a.y = …, a[1] = …) may each be assigned. INSERT's column list follows the same rule.
    const duplicateAssignments = (targets: Ast[] | undefined, what: string) => {
      const whole = new Set<string>();
      const partial = new Set<string>();
      for (const t of targets ?? []) {
        const name = t.ResTarget?.name;
        if (typeof name !== 'string') continue;
        const isPartial = (t.ResTarget.indirection?.length ?? 0) > 0;
        if (whole.has(name) || (!isPartial && partial.has(name))) {
          report('ban-duplicate-column-assignments', `${what} assigns column ${quoteIdent(name)} twice.`);
          return;
        }
        (isPartial ? partial : whole).add(name);
      }
    };
    // A view or a table made from a query needs distinct column names: the aliases, else the query's own
    const duplicateOutputs = (query: Ast, aliases: Ast[] | undefined, what: string) => {
      const names = namesOf(aliases);
      const select = query?.SelectStmt;
      const outputs: (string | undefined)[] =
        select?.op === 'SETOP_NONE' && !select.valuesLists
          ? (select.targetList ?? []).map((t: Ast) => outputColumnName(t.ResTarget))
          : [];
      duplicateNames([...names, ...outputs.slice(names.length)], what);
    };
    const robust = (message: string) => {
      if (!robustInTx && doBlock === undefined) report('prefer-robust-stmts', message);
    };

    if (!stmt.TransactionStmt && newEnumValues.size > 0) {
      const used = [...stringConstants(stmt)].find((v) => newEnumValues.get(v) === seg);
      if (used !== undefined)
        report(
          'new-enum-value-in-transaction',
          `Enum value '${used}' is used in the transaction that added it: PostgreSQL refuses ("unsafe use of new value").`,
        );
    }
    // A procedure, a DO block left unread or a function called by SELECT may fill the columns: no verdict
    if (stmt.CallStmt || stmt.DoStmt || (stmt.SelectStmt && isVolatile(stmt.SelectStmt))) unfilled.clear();
    if (stmt.TransactionStmt) {
      const kind: string = stmt.TransactionStmt.kind;
      const begins = kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START';
      const ends = kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK';
      if (begins || ends) {
        if (assumeTx)
          report(
            'transaction-nesting',
            `${begins ? 'BEGIN' : 'COMMIT/ROLLBACK'} in a file the migration tool already runs as one transaction.`,
          );
        else if (begins && explicitTx) report('transaction-nesting', 'BEGIN inside an open transaction.');
        else if (ends && !explicitTx)
          report('transaction-nesting', 'COMMIT/ROLLBACK with no open transaction.');
        explicitTx = begins;
        robustInTx = begins;
        segment++;
        openedAt = begins ? stmtOffset : undefined;
      }
      continue;
    }
    if (stmt.VariableSetStmt) {
      if (stmt.VariableSetStmt.name === 'lock_timeout') lockTimeoutSet = true;
      continue;
    }
    if (stmt.CreateStmt) {
      const create = stmt.CreateStmt;
      const table = relationOf(create.relation);
      created.add(table.key);
      schema.tables.delete(table.key);
      const known = tableOf(schema, table.key);
      const columns: string[] = [];
      for (const elt of create.tableElts ?? []) {
        if (elt.ColumnDef) {
          columns.push(elt.ColumnDef.colname);
          known.columns.set(elt.ColumnDef.colname, readColumnType(elt.ColumnDef.typeName) ?? null);
          checkColumnType(elt.ColumnDef);
        }
      }
      duplicateNames(columns, `CREATE TABLE ${table.shown}`);
      const temporaryDropped = create.relation?.relpersistence === 't' && create.oncommit === 'ONCOMMIT_DROP';
      if (!create.if_not_exists && !temporaryDropped)
        robust(`CREATE TABLE ${table.shown} without IF NOT EXISTS cannot be re-run.`);
      continue;
    }
    if (stmt.CreateTableAsStmt) {
      const into = stmt.CreateTableAsStmt.into;
      created.add(relationOf(into?.rel).key);
      duplicateOutputs(
        stmt.CreateTableAsStmt.query,
        into?.colNames,
        `CREATE … AS ${relationOf(into?.rel).shown}`,
      );
      continue;
    }
    if (stmt.CreateForeignTableStmt) {
      const base = stmt.CreateForeignTableStmt.base;
      duplicateNames(
        (base?.tableElts ?? []).map((e: Ast) => e.ColumnDef?.colname),
        `CREATE FOREIGN TABLE ${relationOf(base?.relation).shown}`,
      );
      continue;
    }
    if (stmt.ViewStmt) {
      duplicateOutputs(
        stmt.ViewStmt.query,
        stmt.ViewStmt.aliases,
        `CREATE VIEW ${relationOf(stmt.ViewStmt.view).shown}`,
      );
      continue;
    }
    if (stmt.SelectStmt?.intoClause) {
      const into = stmt.SelectStmt.intoClause;
      created.add(relationOf(into.rel).key);
      duplicateOutputs(stmt, into.colNames, `SELECT … INTO ${relationOf(into.rel).shown}`);
      continue;
    }
    if (stmt.InsertStmt) {
      const insert = stmt.InsertStmt;
      const table = relationOf(insert.relation).shown;
      duplicateAssignments(insert.cols, `INSERT INTO ${table}`);
      duplicateAssignments(
        insert.onConflictClause?.targetList,
        `INSERT INTO ${table} … ON CONFLICT DO UPDATE`,
      );
      continue;
    }
    if (stmt.MergeStmt) {
      const table = relationOf(stmt.MergeStmt.relation).shown;
      for (const clause of stmt.MergeStmt.mergeWhenClauses ?? []) {
        const when = clause.MergeWhenClause;
        if (when?.commandType === 'CMD_UPDATE')
          duplicateAssignments(when.targetList, `MERGE INTO ${table} … UPDATE`);
        else if (when?.commandType === 'CMD_INSERT')
          duplicateAssignments(when.targetList, `MERGE INTO ${table} … INSERT`);
      }
      continue;
    }
    if (stmt.IndexStmt) {
      const idx = stmt.IndexStmt;
      const table = relationOf(idx.relation);
      if (idx.idxname) createdIndexes.add(idx.idxname);
      for (const param of idx.indexParams ?? [])
        if (param.IndexElem?.name) tableOf(schema, table.key).indexed.add(param.IndexElem.name);
      if (idx.concurrent) concurrentlyFails('CREATE INDEX CONCURRENTLY');
      // ON ONLY a partitioned table (inh false, left out of the tree): an invalid parent index, completed by
      // attaching partition indexes built CONCURRENTLY
      else if (!created.has(table.key) && idx.relation?.inh) {
        strongLock(table);
        report(
          'require-concurrent-index-creation',
          `CREATE ${idx.unique ? 'UNIQUE ' : ''}INDEX on existing table ${table.shown} without CONCURRENTLY blocks writes while it builds.`,
          idx.relation?.location,
        );
      }
      if (!idx.if_not_exists && idx.idxname && (idx.concurrent || (!robustInTx && doBlock === undefined)))
        report(
          'prefer-robust-stmts',
          `CREATE INDEX ${quoteIdent(idx.idxname)} without IF NOT EXISTS cannot be re-run after a failure.`,
        );
      continue;
    }
    if (stmt.DropStmt) {
      const drop = stmt.DropStmt;
      const names: string[][] = (drop.objects ?? []).map((o: Ast) =>
        namesOf(o.List?.items ?? o.TypeName?.names),
      );
      if (drop.removeType === 'OBJECT_INDEX') {
        const existing = names.filter((n) => !createdIndexes.has(n[n.length - 1]!));
        if (drop.concurrent) concurrentlyFails('DROP INDEX CONCURRENTLY');
        else if (existing.length > 0)
          report(
            'require-concurrent-index-deletion',
            `DROP INDEX ${existing.map((n) => n.map(quoteIdent).join('.')).join(', ')} without CONCURRENTLY locks its table.`,
          );
      } else if (drop.removeType === 'OBJECT_TABLE') {
        const shown = names.map((n) =>
          relationOf({ schemaname: n.length > 1 ? n[0] : undefined, relname: n[n.length - 1] }),
        );
        const existing = shown.filter((t) => !created.has(t.key));
        for (const t of shown) schema.tables.delete(t.key);
        if (existing.length > 0)
          report(
            'ban-drop-table',
            `DROP TABLE ${existing.map((t) => t.shown).join(', ')}: its data is lost.`,
          );
      }
      const kind = String(drop.removeType ?? '').replace('OBJECT_', '');
      // A type this migration created has nothing of the app's depending on it yet
      const ownTypes = names.every((n) => createdTypes.has(n.join('.')));
      if (
        drop.behavior === 'DROP_CASCADE' &&
        !['OBJECT_TABLE', 'OBJECT_INDEX'].includes(drop.removeType) &&
        !(['OBJECT_TYPE', 'OBJECT_DOMAIN'].includes(drop.removeType) && ownTypes)
      )
        report(
          'ban-drop-cascade',
          `DROP ${kind.replaceAll('_', ' ')} … CASCADE also drops whatever depends on it: tables, columns and their data, defaults, views.`,
        );
      if (
        !drop.missing_ok &&
        ['OBJECT_INDEX', 'OBJECT_TABLE', 'OBJECT_TYPE'].includes(drop.removeType) &&
        ((!robustInTx && doBlock === undefined) || (drop.removeType === 'OBJECT_INDEX' && drop.concurrent))
      )
        report('prefer-robust-stmts', 'DROP without IF EXISTS cannot be re-run after a failure.');
      continue;
    }
    if (stmt.DropdbStmt) {
      report('ban-drop-database', `DROP DATABASE ${quoteIdent(stmt.DropdbStmt.dbname)}.`);
      continue;
    }
    if (stmt.TruncateStmt) {
      const tables = (stmt.TruncateStmt.relations ?? []).map((r: Ast) => relationOf(r.RangeVar));
      const existing = tables.filter((t: { key: string }) => !created.has(t.key));
      if (stmt.TruncateStmt.behavior === 'DROP_CASCADE')
        report('ban-truncate-cascade', 'TRUNCATE … CASCADE empties every table that references these.');
      else if (existing.length > 0)
        report(
          'ban-truncate',
          `TRUNCATE ${existing.map((t: { shown: string }) => t.shown).join(', ')}: every row is lost.`,
        );
      continue;
    }
    if (stmt.RenameStmt) {
      const rename = stmt.RenameStmt;
      if (rename.renameType === 'OBJECT_SCHEMA') {
        report(
          'renaming-schema',
          `Renaming schema ${quoteIdent(rename.subname)} to ${quoteIdent(rename.newname)}.`,
        );
        continue;
      }
      const table = relationOf(rename.relation);
      const known = schema.tables.get(table.key);
      if (rename.renameType === 'OBJECT_COLUMN' && rename.relationType === 'OBJECT_TABLE') {
        if (known?.columns.has(rename.subname)) {
          known.columns.set(rename.newname, known.columns.get(rename.subname)!);
          known.columns.delete(rename.subname);
        }
        if (!created.has(table.key))
          report(
            'renaming-column',
            `Renaming column ${quoteIdent(rename.subname)} of ${table.shown} to ${quoteIdent(rename.newname)}.`,
          );
      } else if (rename.renameType === 'OBJECT_TABLE') {
        const renamed = relationOf({ schemaname: rename.relation?.schemaname, relname: rename.newname });
        if (known) {
          schema.tables.set(renamed.key, known);
          schema.tables.delete(table.key);
        }
        if (created.has(table.key)) created.add(renamed.key);
        else report('renaming-table', `Renaming table ${table.shown} to ${quoteIdent(rename.newname)}.`);
      }
      continue;
    }
    if (stmt.ReindexStmt) {
      const reindex = stmt.ReindexStmt;
      if (reindex.kind === 'REINDEX_OBJECT_SYSTEM') continue;
      const concurrent = (reindex.params ?? []).some(
        (p: Ast) => p.DefElem?.defname === 'concurrently' && optionIsOn(p.DefElem.arg),
      );
      if (concurrent) concurrentlyFails('REINDEX CONCURRENTLY');
      else if (!reindex.relation || !created.has(relationOf(reindex.relation).key))
        report(
          'require-concurrent-reindex',
          'REINDEX without CONCURRENTLY blocks writes to the table and reads that use the index.',
        );
      continue;
    }
    if (stmt.VacuumStmt) {
      const full = (stmt.VacuumStmt.options ?? []).some(
        (o: Ast) => o.DefElem?.defname === 'full' && optionIsOn(o.DefElem.arg),
      );
      if (stmt.VacuumStmt.is_vacuumcmd && full)
        report('prefer-repack', 'VACUUM FULL rewrites the table under ACCESS EXCLUSIVE.');
      continue;
    }
    if (stmt.ClusterStmt) {
      if (!stmt.ClusterStmt.relation || !created.has(relationOf(stmt.ClusterStmt.relation).key))
        report('prefer-repack', 'CLUSTER rewrites the table under ACCESS EXCLUSIVE.');
      continue;
    }
    if (stmt.AlterDomainStmt) {
      const domain = stmt.AlterDomainStmt;
      const name = namesOf(domain.typeName).map(quoteIdent).join('.');
      if (domain.subtype === 'C' && !domain.def?.Constraint?.skip_validation)
        report(
          'ban-alter-domain-with-add-constraint',
          'ALTER DOMAIN … ADD CONSTRAINT checks every column of that type.',
        );
      else if (domain.subtype === 'O')
        report('alter-domain-scan', `ALTER DOMAIN ${name} SET NOT NULL checks every column of that type.`);
      // PostgreSQL 19 lowered VALIDATE's lock to SHARE UPDATE EXCLUSIVE, as ALTER TABLE's has always been
      else if (domain.subtype === 'V' && pgVersion < 19)
        report(
          'alter-domain-scan',
          `ALTER DOMAIN ${name} VALIDATE CONSTRAINT blocks writes to every table using the type while it scans them.`,
        );
      continue;
    }
    if (stmt.CreateDomainStmt) {
      if ((stmt.CreateDomainStmt.constraints ?? []).length > 0)
        report(
          'ban-create-domain-with-constraint',
          `Domain ${namesOf(stmt.CreateDomainStmt.domainname).map(quoteIdent).join('.')} carries a constraint.`,
        );
      continue;
    }
    if (stmt.CreateEnumStmt) {
      createdTypes.add(namesOf(stmt.CreateEnumStmt.typeName).join('.'));
      continue;
    }
    if (stmt.AlterEnumStmt) {
      const e = stmt.AlterEnumStmt;
      const type = namesOf(e.typeName).map(quoteIdent).join('.');
      if (e.oldVal !== undefined)
        report('renaming-enum-value', `Renaming value '${e.oldVal}' of ${type} to '${e.newVal}'.`);
      else if (e.newVal !== undefined && inTx && !createdTypes.has(namesOf(e.typeName).join('.')))
        newEnumValues.set(e.newVal, seg);
      if (e.oldVal === undefined && e.newVal !== undefined && e.newValNeighbor === undefined)
        report(
          'require-enum-value-ordering',
          `ALTER TYPE ${type} ADD VALUE '${e.newVal}' without BEFORE/AFTER appends it last.`,
        );
      continue;
    }
    if (stmt.UpdateStmt || stmt.DeleteStmt) {
      const dml = stmt.UpdateStmt ?? stmt.DeleteStmt;
      const table = relationOf(dml.relation);
      if (stmt.UpdateStmt) {
        duplicateAssignments(dml.targetList, `UPDATE ${table.shown}`);
        unfilled.delete(table.key);
      }
      if (created.has(table.key)) continue;
      if (inTx && lockedIn.get(table.key) === seg)
        report(
          'backfill-in-ddl-transaction',
          `${stmt.UpdateStmt ? 'UPDATE' : 'DELETE'} of ${table.shown} in the transaction that altered it keeps the table locked until the data change ends.`,
        );
      else if (!dml.whereClause)
        report(
          'unbatched-backfill',
          `${stmt.UpdateStmt ? 'UPDATE' : 'DELETE'} of every row of ${table.shown} in one statement.`,
        );
      continue;
    }
    if (stmt.AlterTableStmt) {
      const alter = stmt.AlterTableStmt;
      if (alter.objtype && alter.objtype !== 'OBJECT_TABLE') continue;
      const table = relationOf(alter.relation);
      const known = tableOf(schema, table.key);
      const isNew = created.has(table.key);
      for (const entry of alter.cmds ?? []) {
        const cmd = entry.AlterTableCmd;
        if (!cmd) continue;
        alterTableRobustness(cmd, robust, droppedConstraints);
        if (!isNew && cmd.subtype !== 'AT_ValidateConstraint') strongLock(table);
        switch (cmd.subtype) {
          case 'AT_AddColumn': {
            const def = cmd.def?.ColumnDef;
            const col = quoteIdent(String(def?.colname ?? ''));
            known.columns.set(def?.colname, readColumnType(def?.typeName) ?? null);
            checkColumnType(def);
            if (isNew) break;
            const constraints: Ast[] = (def?.constraints ?? []).map((c: Ast) => c.Constraint).filter(Boolean);
            const loc = def?.location;
            const has = (type: string) => constraints.find((c) => c.contype === type);
            const withDefault = has('CONSTR_DEFAULT');
            const generated = has('CONSTR_GENERATED');
            const identity = has('CONSTR_IDENTITY');
            const names = namesOf(def?.typeName?.names);
            const serial = SERIAL_TYPES.has((names[names.length - 1] ?? '').toLowerCase());
            if (generated)
              report(
                'adding-field-with-default',
                `Adding stored generated column ${col} rewrites ${table.shown}.`,
                loc,
              );
            else if (identity || serial)
              report(
                'adding-field-with-default',
                `Adding ${identity ? 'identity' : 'serial'} column ${col} fills every row of ${table.shown} from a sequence: a full rewrite.`,
                loc,
              );
            else if (withDefault && (pgVersion < 11 || isVolatile(withDefault.raw_expr)))
              report(
                'adding-field-with-default',
                pgVersion < 11
                  ? `Column ${col} gets a DEFAULT: before PostgreSQL 11 every row of ${table.shown} is rewritten.`
                  : `Column ${col} gets a volatile DEFAULT: every row of ${table.shown} is rewritten.`,
                loc,
              );
            // Nothing fills the existing rows: they hold NULL in the new column
            const unfilledRows = !withDefault && !generated && !identity && !serial;
            if (unfilledRows && has('CONSTR_NOTNULL'))
              report(
                'adding-required-field',
                `NOT NULL column ${col} without a DEFAULT fails on a table that has rows.`,
                loc,
              );
            else if (unfilledRows)
              unfilled.set(table.key, (unfilled.get(table.key) ?? new Set()).add(def?.colname));
            if (has('CONSTR_PRIMARY'))
              report(
                'adding-serial-primary-key-field',
                `Adding PRIMARY KEY column ${col} to ${table.shown}.`,
                loc,
              );
            if (has('CONSTR_UNIQUE'))
              report('disallowed-unique-constraint', `Adding UNIQUE column ${col} to ${table.shown}.`, loc);
            if (has('CONSTR_FOREIGN'))
              report(
                'adding-foreign-key-constraint',
                `Column ${col} REFERENCES another table, checked at once.`,
                loc,
              );
            if (has('CONSTR_CHECK'))
              report(
                'constraint-missing-not-valid',
                `Column ${col} comes with a CHECK that scans ${table.shown}.`,
                loc,
              );
            break;
          }
          case 'AT_AddConstraint': {
            const c = cmd.def?.Constraint;
            if (!c) break;
            const notNullColumn = c.contype === 'CONSTR_CHECK' ? isNotNullCheckOn(c.raw_expr) : undefined;
            if (c.conname)
              known.checks.set(c.conname, {
                ...(notNullColumn ? { notNullColumn } : {}),
                validated: !c.skip_validation || isNew,
              });
            if (isNew) break;
            const loc = c.location;
            const name = c.conname ? quoteIdent(c.conname) : '(unnamed)';
            if (c.skip_validation && c.conname)
              notValidAdded.set(c.conname, { table: table.key, segment: seg });
            if (c.contype === 'CONSTR_CHECK' && !c.skip_validation)
              report(
                'constraint-missing-not-valid',
                `CHECK constraint ${name} on ${table.shown} without NOT VALID.`,
                loc,
              );
            if (c.contype === 'CONSTR_FOREIGN' && !c.skip_validation) {
              report(
                'constraint-missing-not-valid',
                `FOREIGN KEY ${name} on ${table.shown} without NOT VALID.`,
                loc,
              );
              report(
                'adding-foreign-key-constraint',
                `FOREIGN KEY ${name} checks every row of ${table.shown} while locking both tables.`,
                loc,
              );
            }
            if (c.contype === 'CONSTR_UNIQUE' && !c.indexname)
              report(
                'disallowed-unique-constraint',
                `UNIQUE constraint ${name} builds its index on ${table.shown} under ACCESS EXCLUSIVE.`,
                loc,
              );
            if (c.contype === 'CONSTR_PRIMARY' && !c.indexname)
              report(
                'adding-serial-primary-key-field',
                `PRIMARY KEY on existing table ${table.shown} builds its index under ACCESS EXCLUSIVE.`,
                loc,
              );
            if (c.contype === 'CONSTR_EXCLUSION')
              report(
                'adding-exclusion-constraint',
                `EXCLUDE constraint ${name} checks every row of ${table.shown}.`,
                loc,
              );
            break;
          }
          case 'AT_ValidateConstraint': {
            const name = String(cmd.name ?? '');
            const added = notValidAdded.get(name);
            if (added && added.table === table.key && added.segment === seg && inTx)
              report(
                'constraint-missing-not-valid',
                `VALIDATE CONSTRAINT ${quoteIdent(name)} runs in the same transaction as its ADD … NOT VALID, so the strong lock is held through the scan.`,
              );
            const check = known.checks.get(name);
            if (check) check.validated = true;
            else externallyValidated.add(table.key);
            if (check?.notNullColumn && takeUnfilled(table.key, check.notNullColumn))
              report(
                'adding-required-field',
                `VALIDATE CONSTRAINT ${quoteIdent(name)} fails on a table that has rows: ${table.shown}.${quoteIdent(check.notNullColumn)} was added above without a DEFAULT and never filled.`,
              );
            break;
          }
          case 'AT_SetNotNull': {
            if (isNew) break;
            const col = String(cmd.name ?? '');
            const proven =
              pgVersion >= 12 &&
              (externallyValidated.has(table.key) ||
                [...known.checks.values()].some((c) => c.validated && c.notNullColumn === col));
            if (!proven)
              report(
                'adding-not-nullable-field',
                `SET NOT NULL on ${table.shown}.${quoteIdent(col)} scans the whole table under ACCESS EXCLUSIVE.`,
              );
            if (takeUnfilled(table.key, col))
              report(
                'adding-required-field',
                `SET NOT NULL fails on a table that has rows: ${table.shown}.${quoteIdent(col)} was added above without a DEFAULT and never filled.`,
              );
            break;
          }
          case 'AT_DropNotNull':
            if (!isNew)
              report(
                'ban-drop-not-null',
                `DROP NOT NULL on ${table.shown}.${quoteIdent(String(cmd.name ?? ''))}.`,
              );
            break;
          case 'AT_AlterColumnType': {
            const col = String(cmd.name ?? '');
            const def = cmd.def?.ColumnDef;
            const to = readColumnType(def?.typeName);
            const from = known.columns.get(col);
            known.columns.set(col, to ?? null);
            if (def?.raw_default) takeUnfilled(table.key, col); // USING computes the values afresh
            if (isNew) break;
            const verdict = !to
              ? { rewrite: undefined, why: 'the new type is not understood' }
              : !usingKeepsContents(def?.raw_default, col)
                ? { rewrite: true, why: 'USING computes every value again' }
                : planColumnTypeChange(from ?? undefined, to as ColumnType, {
                    ...(options.sessionTimeZoneUtc && pgVersion >= 12 ? { sessionTimeZoneUtc: true } : {}),
                    indexed: known.indexed.has(col),
                  });
            if (verdict.rewrite !== false)
              report(
                'changing-column-type',
                `Changing the type of ${table.shown}.${quoteIdent(col)}: ${verdict.why}${verdict.rewrite === undefined ? ' (safe only if binary coercible, e.g. varchar(n) → varchar(m ≥ n) or text)' : ''}.`,
                def?.location,
              );
            break;
          }
          case 'AT_DropColumn':
            known.columns.delete(cmd.name);
            if (!isNew)
              report(
                'ban-drop-column',
                `Dropping column ${quoteIdent(String(cmd.name ?? ''))} of ${table.shown}.`,
              );
            break;
          case 'AT_DetachPartition':
            if (!cmd.def?.PartitionCmd?.concurrent)
              report(
                'require-concurrent-partition-detach',
                `DETACH PARTITION from ${table.shown} without CONCURRENTLY.`,
              );
            else concurrentlyFails('DETACH PARTITION CONCURRENTLY');
            break;
          case 'AT_SetLogged':
          case 'AT_SetUnLogged':
          case 'AT_SetTableSpace':
          case 'AT_SetAccessMethod':
            if (!isNew)
              report(
                'rewriting-table',
                `${cmd.subtype.replace('AT_', '')} copies every row of ${table.shown}.`,
              );
            break;
          default:
            break;
        }
      }
    }
  }
  if (explicitTx && openedAt !== undefined) {
    const at = position(openedAt);
    const rule = LINT_RULES['ban-uncommitted-transaction']!;
    findings.push({
      rule: rule.id,
      severity: rule.severity,
      message: 'BEGIN is never followed by COMMIT or ROLLBACK.',
      lock: rule.lock,
      safer: rule.safer,
      file,
      line: at.line,
      column: at.column,
      statement: 'BEGIN',
    });
  }
  return {
    file,
    findings,
    blocking: findings.filter((f) => f.severity === 'error' && !f.ignored).length,
    statements: topLevel.length,
  };
}

/** squawk's prefer-robust-stmts for one ALTER TABLE action (reported only outside a transaction). */
function alterTableRobustness(cmd: Ast, robust: (message: string) => void, dropped: Set<string>): void {
  switch (cmd.subtype) {
    case 'AT_DropConstraint':
      if (cmd.name) dropped.add(cmd.name);
      if (!cmd.missing_ok) robust('DROP CONSTRAINT without IF EXISTS cannot be re-run after a failure.');
      return;
    case 'AT_AddColumn':
      if (!cmd.missing_ok) robust('ADD COLUMN without IF NOT EXISTS cannot be re-run after a failure.');
      return;
    case 'AT_DropColumn':
      if (!cmd.missing_ok) robust('DROP COLUMN without IF EXISTS cannot be re-run after a failure.');
      return;
    case 'AT_ValidateConstraint':
      if (!dropped.has(cmd.name))
        robust('VALIDATE CONSTRAINT outside a transaction cannot be re-run safely.');
      return;
    case 'AT_AddConstraint': {
      const name = cmd.def?.Constraint?.conname;
      if (name && dropped.has(name)) return;
      robust('ADD CONSTRAINT outside a transaction cannot be re-run; drop it IF EXISTS first.');
      return;
    }
    default:
      robust('ALTER TABLE outside a transaction cannot be re-run after a partial failure.');
  }
}

/**
 * Lints the files of one migration history in order, each knowing the schema the earlier ones built (so a
 * varchar(50) → varchar(100) change is recognized as catalog-only).
 */
export async function lintMigrationHistory(
  files: readonly { sql: string; file: string }[],
  options: Omit<LintOptions, 'schema'> = {},
): Promise<LintResult[]> {
  const results: LintResult[] = [];
  const schema = emptyLintSchema();
  for (const f of files) results.push(await lintInto(f.sql, f.file, options, schema));
  return results;
}
