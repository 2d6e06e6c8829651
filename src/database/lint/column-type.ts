// biome-ignore lint/suspicious/noExplicitAny: a TypeName node of the PostgreSQL parse tree, read by shape
type TypeNameNode = any;

/** A column type as the parser spells it, normalized: `varchar(255)` → { name: 'varchar', mods: [255] }. */
export interface ColumnType {
  readonly name: string;
  readonly mods: readonly number[];
  readonly array: boolean;
}

const ALIASES: Readonly<Record<string, string>> = {
  int: 'int4',
  integer: 'int4',
  smallint: 'int2',
  bigint: 'int8',
  serial: 'int4',
  serial4: 'int4',
  bigserial: 'int8',
  serial8: 'int8',
  smallserial: 'int2',
  serial2: 'int2',
  decimal: 'numeric',
  bool: 'bool',
  boolean: 'bool',
  'character varying': 'varchar',
};

export function readColumnType(typeName: TypeNameNode): ColumnType | undefined {
  const names: string[] = (typeName?.names ?? [])
    .map((n: { String?: { sval?: string } }) => n?.String?.sval)
    .filter((s: unknown): s is string => typeof s === 'string');
  const last = names[names.length - 1];
  if (!last) return undefined;
  const mods: number[] = [];
  for (const mod of typeName.typmods ?? []) {
    // protobuf leaves a zero out: `A_Const: { ival: {} }` is 0
    const value = mod?.A_Const?.ival ? (mod.A_Const.ival.ival ?? 0) : undefined;
    if (typeof value !== 'number') return undefined;
    mods.push(value);
  }
  return {
    name: ALIASES[last] ?? last,
    mods,
    array: (typeName.arrayBounds ?? []).length > 0,
  };
}

export function formatColumnType(type: ColumnType): string {
  return `${type.name}${type.mods.length ? `(${type.mods.join(',')})` : ''}${type.array ? '[]' : ''}`;
}

export interface TypeChangeVerdict {
  /** true: the table is rewritten (or fully re-checked); false: catalog-only; undefined: unknown old type. */
  readonly rewrite: boolean | undefined;
  readonly why: string;
}

/** Types whose optional modifier is a precision (or length) that may only grow without a rewrite. */
const GROWABLE = new Set(['varchar', 'varbit', 'timestamp', 'timestamptz', 'time', 'timetz', 'interval']);

export interface TypeChangeOptions {
  /** The session TimeZone is UTC: timestamp ↔ timestamptz needs no rewrite (PostgreSQL 12+). */
  readonly sessionTimeZoneUtc?: boolean;
  /** The column has an index: changes that keep the bytes but not the operator class rebuild it. */
  readonly indexed?: boolean;
}

/**
 * Whether `ALTER COLUMN … TYPE to` rewrites a column of type `from`. The no-rewrite cases are the
 * binary-coercible changes PostgreSQL documents (ALTER TABLE notes: "if the USING clause does not change the
 * column contents and the old type is either binary coercible to the new type … a table rewrite is not
 * needed"), as listed by strong_migrations for PostgreSQL: varchar growth or removal of the limit,
 * varchar → text, text → varchar, numeric precision growth at the same scale or removal, cidr → inet,
 * timestamp / time / interval precision growth, bit varying growth, text ↔ citext when not indexed, and
 * timestamp ↔ timestamptz when the session time zone is UTC (PostgreSQL 12+).
 */
export function planColumnTypeChange(
  from: ColumnType | undefined,
  to: ColumnType,
  options: TypeChangeOptions = {},
): TypeChangeVerdict {
  if (!from) return { rewrite: undefined, why: 'its current type is not known from this migration history' };
  const shown = `${formatColumnType(from)} → ${formatColumnType(to)}`;
  if (from.array !== to.array) return { rewrite: true, why: `${shown} converts every value` };
  const widening = (a: readonly number[], b: readonly number[]) =>
    b.length === 0 || (a.length > 0 && b[0]! >= a[0]!);
  const safe = { rewrite: false, why: `${shown} is binary coercible` } as const;
  const rewrite = { rewrite: true, why: `${shown} converts every value` } as const;
  if (from.name === to.name) {
    if (from.mods.join(',') === to.mods.join(',')) return safe;
    if (GROWABLE.has(from.name)) return widening(from.mods, to.mods) ? safe : rewrite;
    if (from.name === 'numeric') {
      if (to.mods.length === 0) return safe;
      if (from.mods.length === 0) return rewrite;
      const [p1, s1 = 0] = from.mods;
      const [p2, s2 = 0] = to.mods;
      return p2! >= p1! && s1 === s2 ? safe : rewrite;
    }
    return rewrite;
  }
  if (from.array) return rewrite;
  if (from.name === 'varchar' && to.name === 'text') return safe;
  if (from.name === 'text' && to.name === 'varchar' && to.mods.length === 0) return safe;
  if (from.name === 'cidr' && to.name === 'inet') return safe;
  if (
    (from.name === 'citext' && (to.name === 'text' || (to.name === 'varchar' && to.mods.length === 0))) ||
    ((from.name === 'text' || from.name === 'varchar') && to.name === 'citext')
  )
    return options.indexed
      ? { rewrite: true, why: `${shown} keeps the bytes but rebuilds the column's indexes` }
      : safe;
  const tz = new Set([from.name, to.name]);
  if (tz.has('timestamp') && tz.has('timestamptz') && tz.size === 2) {
    if (!options.sessionTimeZoneUtc)
      return {
        rewrite: true,
        why: `${shown} rewrites unless the session TimeZone is UTC (PostgreSQL 12+)`,
      };
    // measured on PostgreSQL 15 with TimeZone UTC: timestamp(3) → timestamptz and → timestamptz(6) keep the
    // file, but timestamp(3) → timestamptz(3) and timestamp → timestamptz(3) rewrite it
    const keeps = to.mods.length === 0 || (from.mods.length > 0 && to.mods[0]! > from.mods[0]!);
    return keeps
      ? safe
      : { rewrite: true, why: `${shown} rewrites even in UTC when the precision is kept or set` };
  }
  return rewrite;
}
