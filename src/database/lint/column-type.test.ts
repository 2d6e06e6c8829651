import { parse } from 'libpg-query';
import { describe, expect, it } from 'vitest';
import { type ColumnType, planColumnTypeChange, readColumnType } from './column-type.js';

async function typeOf(sql: string): Promise<ColumnType> {
  const tree = await parse(`CREATE TABLE t (c ${sql});`);
  return readColumnType(tree.stmts[0].stmt.CreateStmt.tableElts[0].ColumnDef.typeName)!;
}

const rewrites = async (from: string, to: string, utc = false) =>
  planColumnTypeChange(await typeOf(from), await typeOf(to), { sessionTimeZoneUtc: utc }).rewrite;

describe('planColumnTypeChange', () => {
  it('reads the parser spelling of a type', async () => {
    expect(await typeOf('character varying(20)')).toEqual({ name: 'varchar', mods: [20], array: false });
    expect(await typeOf('integer[]')).toEqual({ name: 'int4', mods: [], array: true });
    expect(await typeOf('timestamp(0) with time zone')).toEqual({
      name: 'timestamptz',
      mods: [0],
      array: false,
    });
  });

  it('knows the binary-coercible changes PostgreSQL documents', async () => {
    expect(await rewrites('varchar(10)', 'varchar(20)')).toBe(false);
    expect(await rewrites('varchar(10)', 'text')).toBe(false);
    expect(await rewrites('text', 'varchar')).toBe(false);
    expect(await rewrites('numeric(10,2)', 'numeric(14,2)')).toBe(false);
    expect(await rewrites('numeric(10,2)', 'numeric')).toBe(false);
    expect(await rewrites('cidr', 'inet')).toBe(false);
    expect(await rewrites('timestamp(0)', 'timestamp')).toBe(false);
    expect(await rewrites('timestamp', 'timestamptz', true)).toBe(false);
  });

  it('flags the ones that rewrite, and says so when the old type is unknown', async () => {
    expect(await rewrites('varchar(20)', 'varchar(10)')).toBe(true);
    expect(await rewrites('text', 'varchar(10)')).toBe(true);
    expect(await rewrites('numeric(10,2)', 'numeric(12,3)')).toBe(true);
    expect(await rewrites('integer', 'bigint')).toBe(true);
    expect(await rewrites('timestamp', 'timestamptz')).toBe(true);
    expect(await rewrites('timestamp(3)', 'timestamptz(3)', true)).toBe(true);
    expect(planColumnTypeChange(undefined, await typeOf('text'))).toEqual({
      rewrite: undefined,
      why: 'its current type is not known from this migration history',
    });
  });
});
