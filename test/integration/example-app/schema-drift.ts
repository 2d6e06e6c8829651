import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { nodeProcessRunner } from '../../../src/kernel/process-runner.js';
import { APP_DIR } from './example-app-fixtures.js';

const DMMF_GENERATOR = fileURLToPath(new URL('./fixtures/dmmf-generator.mjs', import.meta.url));

/** A table as both sides can state it: what a query or a Prisma model relies on. */
export interface TableShape {
  columns: Record<string, string>;
  primaryKey: string;
  uniques: string[];
  indexes: string[];
  foreignKeys: string[];
}
export type SchemaShape = Record<string, TableShape>;

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  type: string;
  isRequired: boolean;
  isList: boolean;
  hasDefaultValue: boolean;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  fields: { name: string }[];
}
export interface Dmmf {
  models: DmmfModel[];
  indexes: DmmfIndex[];
}

/**
 * Prisma's own reading of a schema file (its DMMF), through `prisma generate` with a generator that dumps
 * it: no schema engine binary, no network.
 */
export async function readPrismaDmmf(schemaFile: string, work: string): Promise<Dmmf> {
  const source = readFileSync(schemaFile, 'utf8').replace(
    /generator\s+\w+\s*\{[^}]*\}/,
    `generator dmmf {\n  provider = "node ${JSON.stringify(DMMF_GENERATOR).slice(1, -1)}"\n  output   = ${JSON.stringify(work)}\n}`,
  );
  const schema = join(work, 'schema.prisma');
  const out = join(work, 'dmmf.json');
  writeFileSync(schema, source);
  const cli = createRequire(join(APP_DIR, 'package.json')).resolve('prisma/build/index.js');
  const result = await nodeProcessRunner.run(process.execPath, [cli, 'generate', '--schema', schema], {
    cwd: work,
    env: {
      ...process.env,
      DMMF_OUT: out,
      PRISMA_SCHEMA_ENGINE_BINARY: join(APP_DIR, 'scripts', 'no-schema-engine'),
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
    timeoutMs: 60_000,
  });
  if (result.failed) throw new Error(`prisma generate (DMMF) failed:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8')) as Dmmf;
}

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
  Decimal: 'numeric(65,30)',
};

/** PostgreSQL's `format_type` spelling of a Prisma native type attribute (`@db.X(args)`). */
function nativeTypeName([name, args]: [string, string[]]): string {
  const a = args.join(',');
  const withArgs = (base: string) => (a ? `${base}(${a})` : base);
  switch (name) {
    case 'Uuid':
      return 'uuid';
    case 'Text':
      return 'text';
    case 'Integer':
      return 'integer';
    case 'SmallInt':
      return 'smallint';
    case 'BigInt':
      return 'bigint';
    case 'Boolean':
      return 'boolean';
    case 'Date':
      return 'date';
    case 'JsonB':
      return 'jsonb';
    case 'Json':
      return 'json';
    case 'DoublePrecision':
      return 'double precision';
    case 'Real':
      return 'real';
    case 'VarChar':
      return withArgs('character varying');
    case 'Char':
      return withArgs('character');
    case 'Decimal':
      return withArgs('numeric');
    case 'Timestamptz':
      return `${withArgs('timestamp')} with time zone`;
    case 'Timestamp':
      return `${withArgs('timestamp')} without time zone`;
    default:
      throw new Error(`@db.${name} is not mapped in schema-drift.ts: add its PostgreSQL spelling`);
  }
}

const ON_DELETE: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

/** The tables a Prisma schema declares, in the shape the catalog is read into. */
export function shapeFromDmmf(dmmf: Dmmf): SchemaShape {
  const tableOf = (model: string) => {
    const m = dmmf.models.find((x) => x.name === model);
    if (!m) throw new Error(`unknown model ${model}`);
    return m.dbName ?? m.name;
  };
  const columnOf = (model: string, field: string) => {
    const f = dmmf.models.find((x) => x.name === model)?.fields.find((x) => x.name === field);
    if (!f) throw new Error(`unknown field ${model}.${field}`);
    return f.dbName ?? f.name;
  };
  const shape: SchemaShape = {};
  for (const model of dmmf.models) {
    const table: TableShape = { columns: {}, primaryKey: '', uniques: [], indexes: [], foreignKeys: [] };
    for (const field of model.fields) {
      if (field.kind === 'object') {
        if (field.relationFromFields && field.relationFromFields.length > 0) {
          const from = field.relationFromFields.map((f) => columnOf(model.name, f)).join(',');
          const to = (field.relationToFields ?? []).map((f) => columnOf(field.type, f)).join(',');
          const required = field.relationFromFields.every(
            (f) => model.fields.find((x) => x.name === f)?.isRequired,
          );
          const onDelete = ON_DELETE[field.relationOnDelete ?? (required ? 'Restrict' : 'SetNull')];
          table.foreignKeys.push(`(${from}) → ${tableOf(field.type)}(${to}) ON DELETE ${onDelete}`);
        }
        continue;
      }
      if (field.kind !== 'scalar' || field.isList) {
        throw new Error(
          `${model.name}.${field.name}: ${field.kind} fields are not mapped in schema-drift.ts`,
        );
      }
      const type = field.nativeType ? nativeTypeName(field.nativeType) : SCALAR_TYPES[field.type];
      if (!type) throw new Error(`${model.name}.${field.name}: type ${field.type} is not mapped`);
      table.columns[field.dbName ?? field.name] =
        `${type}${field.isRequired ? ' NOT NULL' : ''}${field.hasDefaultValue ? ' DEFAULT' : ''}`;
    }
    for (const index of dmmf.indexes.filter((i) => i.model === model.name)) {
      const columns = index.fields.map((f) => columnOf(model.name, f.name)).join(',');
      if (index.type === 'id') table.primaryKey = columns;
      else if (index.type === 'unique') table.uniques.push(columns);
      else table.indexes.push(columns);
    }
    table.uniques.sort();
    table.indexes.sort();
    table.foreignKeys.sort();
    shape[model.dbName ?? model.name] = table;
  }
  return shape;
}

const CONFDELTYPE: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** The tables of the `public` schema as the catalog has them (Prisma's `_prisma_migrations` left out). */
export async function readCatalogShape(client: pg.Client): Promise<SchemaShape> {
  const shape: SchemaShape = {};
  const table = (name: string) => {
    shape[name] ??= { columns: {}, primaryKey: '', uniques: [], indexes: [], foreignKeys: [] };
    return shape[name];
  };
  const columns = await client.query<{
    tbl: string;
    col: string;
    type: string;
    notnull: boolean;
    hasdef: boolean;
  }>(
    `SELECT c.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, a.atthasdef AS hasdef
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        AND c.relname <> '_prisma_migrations'`,
  );
  for (const r of columns.rows) {
    table(r.tbl).columns[r.col] = `${r.type}${r.notnull ? ' NOT NULL' : ''}${r.hasdef ? ' DEFAULT' : ''}`;
  }
  const indexes = await client.query<{ tbl: string; cols: string; primary: boolean; uniq: boolean }>(
    `SELECT c.relname AS tbl, x.indisprimary AS primary, x.indisunique AS uniq,
            (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) AS cols
       FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname <> '_prisma_migrations'`,
  );
  for (const r of indexes.rows) {
    const t = table(r.tbl);
    if (r.primary) t.primaryKey = r.cols;
    else if (r.uniq) t.uniques.push(r.cols);
    else t.indexes.push(r.cols);
  }
  const fks = await client.query<{
    tbl: string;
    cols: string;
    ref: string;
    refcols: string;
    ondelete: string;
  }>(
    `SELECT c.relname AS tbl, r.relname AS ref, k.confdeltype AS ondelete,
            (SELECT string_agg(a.attname, ',' ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.attnum) AS cols,
            (SELECT string_agg(a.attname, ',' ORDER BY u.ord) FROM unnest(k.confkey) WITH ORDINALITY u(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = u.attnum) AS refcols
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE k.contype = 'f' AND n.nspname = 'public'`,
  );
  for (const r of fks.rows) {
    table(r.tbl).foreignKeys.push(
      `(${r.cols}) → ${r.ref}(${r.refcols}) ON DELETE ${CONFDELTYPE[r.ondelete]}`,
    );
  }
  for (const t of Object.values(shape)) {
    t.uniques.sort();
    t.indexes.sort();
    t.foreignKeys.sort();
  }
  return shape;
}

/** Every difference, one line each: `table.part: schema.prisma says X, the database Y`. */
export function diffShapes(schema: SchemaShape, database: SchemaShape): string[] {
  const out: string[] = [];
  const say = (where: string, a: unknown, b: unknown) => {
    const text = (v: unknown) => (v === undefined || v === '' ? 'nothing' : JSON.stringify(v));
    if (JSON.stringify(a) !== JSON.stringify(b))
      out.push(`${where}: schema.prisma has ${text(a)}, the migrated database ${text(b)}`);
  };
  for (const name of [...new Set([...Object.keys(schema), ...Object.keys(database)])].sort()) {
    const s = schema[name];
    const d = database[name];
    if (!s || !d) {
      say(name, s ? 'table' : undefined, d ? 'table' : undefined);
      continue;
    }
    for (const col of [...new Set([...Object.keys(s.columns), ...Object.keys(d.columns)])].sort()) {
      say(`${name}.${col}`, s.columns[col], d.columns[col]);
    }
    say(`${name} primary key`, s.primaryKey, d.primaryKey);
    say(`${name} unique indexes`, s.uniques, d.uniques);
    say(`${name} indexes`, s.indexes, d.indexes);
    say(`${name} foreign keys`, s.foreignKeys, d.foreignKeys);
  }
  return out;
}
