import { parse } from 'libpg-query';
import { isNonVolatileBuiltin } from './non-volatile-builtins.js';

// biome-ignore lint/suspicious/noExplicitAny: the PostgreSQL parse tree from libpg-query, walked by shape
export type Ast = any;

/** Byte offsets (the parser's) → line and column (1-based, in characters). */
export function positionMapper(bytes: Buffer): (offset: number) => { line: number; column: number } {
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
export function skipLeading(text: string): number {
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

export function namesOf(list: Ast[] | undefined): string[] {
  return (list ?? [])
    .map((n: Ast) => n?.String?.sval)
    .filter((s: unknown): s is string => typeof s === 'string');
}

/** An identifier as written in SQL: quoted, so `"Signature"` keeps its case in messages. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function relationOf(relation: Ast): { key: string; shown: string } {
  const parts = [relation?.schemaname, relation?.relname].filter(
    (p: unknown): p is string => typeof p === 'string',
  );
  // the public schema is the default search path: "public"."User" and "User" are the same table
  const key = parts.filter((p, i) => !(i === 0 && parts.length > 1 && p === 'public')).join('.');
  return { key, shown: parts.map(quoteIdent).join('.') };
}

/**
 * True unless every function the expression calls is a built-in known to be IMMUTABLE or STABLE. An
 * unknown function (user-defined, or from an extension) counts as volatile: that is CREATE FUNCTION's default.
 */
export function isVolatile(expr: Ast): boolean {
  if (expr === null || typeof expr !== 'object') return false;
  if (Array.isArray(expr)) return expr.some(isVolatile);
  if (expr.FuncCall) {
    const names = namesOf(expr.FuncCall.funcname);
    const schema = names.length > 1 ? names[0] : 'pg_catalog';
    const name = names[names.length - 1] ?? '';
    if (schema !== 'pg_catalog' || !isNonVolatileBuiltin(name, (expr.FuncCall.args ?? []).length))
      return true;
  }
  if (expr.SubLink) return true;
  return Object.values(expr).some(isVolatile);
}

export async function doBlockStatements(stmt: Ast): Promise<Ast[] | undefined> {
  const args: Ast[] = stmt?.DoStmt?.args ?? [];
  const language = args.find((a) => a.DefElem?.defname === 'language')?.DefElem?.arg?.String?.sval;
  const body = args.find((a) => a.DefElem?.defname === 'as')?.DefElem?.arg?.String?.sval;
  if (typeof body !== 'string' || (language !== undefined && language !== 'plpgsql')) return undefined;
  const match = /^\s*(?:DECLARE\b[\s\S]*?)?\bBEGIN\b([\s\S]*)\bEND\s*;?\s*$/i.exec(body);
  if (!match) return undefined;
  try {
    const inner = await parse(match[1]!);
    const statements = (inner.stmts ?? []).map((s: Ast) => s.stmt);
    return statements.length > 0 ? statements : undefined;
  } catch {
    return undefined; // PL/pgSQL control flow: not plain SQL, left to the reviewer
  }
}

export function* stringConstants(node: Ast): Generator<string> {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) yield* stringConstants(n);
    return;
  }
  if (typeof node.A_Const?.sval?.sval === 'string') yield node.A_Const.sval.sval;
  for (const value of Object.values(node)) yield* stringConstants(value);
}

export function isNotNullCheckOn(expr: Ast): string | undefined {
  const test = expr?.NullTest;
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = namesOf(test.arg?.ColumnRef?.fields);
  return fields.length === 1 ? fields[0] : undefined;
}

/** USING that only names the column (optionally cast to the new type) keeps the contents as they are. */
export function usingKeepsContents(using: Ast, column: string): boolean {
  if (!using) return true;
  const ref = using.TypeCast ? using.TypeCast.arg : using;
  const fields = namesOf(ref?.ColumnRef?.fields);
  return fields[fields.length - 1] === column;
}

/**
 * The name PostgreSQL gives a query's output column (its FigureColname, for the common shapes): the alias, a
 * column reference's last field, a function's name, a cast's argument (else its type), `?column?` for a
 * constant, an operator or a boolean test. Undefined when this does not know (`*`, and rarer expressions).
 */
export function outputColumnName(target: Ast): string | undefined {
  if (typeof target?.name === 'string') return target.name;
  return figureName(target?.val);
}

function figureName(expr: Ast): string | undefined {
  if (expr?.ColumnRef) {
    const fields: Ast[] = expr.ColumnRef.fields ?? [];
    return fields[fields.length - 1]?.String?.sval;
  }
  if (expr?.FuncCall) return namesOf(expr.FuncCall.funcname).pop();
  if (expr?.TypeCast) {
    const inner = figureName(expr.TypeCast.arg);
    if (inner !== undefined && inner !== '?column?') return inner;
    return namesOf(expr.TypeCast.typeName?.names).pop() ?? inner;
  }
  if (expr?.A_Expr) return expr.A_Expr.kind === 'AEXPR_NULLIF' ? 'nullif' : '?column?';
  if (expr?.CaseExpr) return 'case';
  if (expr?.CoalesceExpr) return 'coalesce';
  if (expr?.A_Const || expr?.BoolExpr || expr?.NullTest) return '?column?';
  return undefined;
}
