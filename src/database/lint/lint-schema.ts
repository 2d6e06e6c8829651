import type { ColumnType } from './column-type.js';

/** A CHECK constraint the linter saw being added, and whether it is validated yet. */
export interface KnownCheck {
  /** Set when the check is exactly `col IS NOT NULL`. */
  readonly notNullColumn?: string;
  validated: boolean;
}

export interface KnownTable {
  /** Column name → type, or null when the type could not be read. */
  readonly columns: Map<string, ColumnType | null>;
  /** Columns that lead or belong to an index. */
  readonly indexed: Set<string>;
  readonly checks: Map<string, KnownCheck>;
}

/**
 * What earlier migrations of the same history say about the schema: column types (so a type change can be
 * judged binary coercible or not) and validated NOT NULL checks (so SET NOT NULL can skip its scan).
 * Keys are identifiers as PostgreSQL stores them (quoted names keep their case).
 */
export interface LintSchema {
  readonly tables: Map<string, KnownTable>;
}

export function emptyLintSchema(): LintSchema {
  return { tables: new Map() };
}

export function cloneLintSchema(schema: LintSchema): LintSchema {
  return {
    tables: new Map(
      [...schema.tables].map(([name, t]) => [
        name,
        {
          columns: new Map(t.columns),
          indexed: new Set(t.indexed),
          checks: new Map([...t.checks].map(([c, k]) => [c, { ...k }])),
        },
      ]),
    ),
  };
}

export function tableOf(schema: LintSchema, key: string): KnownTable {
  let table = schema.tables.get(key);
  if (!table) {
    table = { columns: new Map(), indexed: new Set(), checks: new Map() };
    schema.tables.set(key, table);
  }
  return table;
}
