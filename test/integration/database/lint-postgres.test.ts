import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintMigrationHistory } from '../../../src/database/index.js';
import { NON_VOLATILE_BUILTINS_SOURCE } from '../../../src/database/lint/non-volatile-builtins.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

/**
 * The linter's claims, checked on a real PostgreSQL 15: which functions are non-volatile, which column type
 * changes and added columns rewrite the table (the table's relfilenode changes), and that CONCURRENTLY fails
 * in a multi-statement query string.
 */
describe('lint claims on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase('lint');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('the non-volatile built-in list is what pg_proc says', async () => {
    const { rows } = await client.query<{
      proname: string;
      pronargs: number;
      pronargdefaults: number;
      provariadic: number;
    }>(`SELECT proname, pronargs, pronargdefaults, provariadic::int AS provariadic
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'pg_catalog' AND p.prokind = 'f' AND p.provolatile <> 'v'`);
    const byName = new Map<string, { arities: Set<number>; variadicFrom?: number }>();
    for (const r of rows) {
      const entry = byName.get(r.proname) ?? { arities: new Set<number>() };
      const min = r.pronargs - r.pronargdefaults;
      if (r.provariadic !== 0) {
        const from = Math.max(0, min - 1);
        entry.variadicFrom = Math.min(entry.variadicFrom ?? from, from);
      } else for (let n = min; n <= r.pronargs; n++) entry.arities.add(n);
      byName.set(r.proname, entry);
    }
    const entries = [...byName.keys()].sort().map((name) => {
      const e = byName.get(name)!;
      return `${name}:${[...e.arities].sort((a, b) => a - b).join('')}${e.variadicFrom !== undefined ? `+${e.variadicFrom}` : ''}`;
    });
    if (process.env.PRODGUARD_WRITE_VOLATILITY === '1') {
      const lines: string[] = [];
      let line = '';
      for (const e of entries) {
        if (line.length + e.length + 1 > 100) {
          lines.push(line);
          line = '';
        }
        line += (line ? ' ' : '') + e;
      }
      lines.push(line);
      const path = fileURLToPath(
        new URL('../../../src/database/lint/non-volatile-builtins.ts', import.meta.url),
      );
      const text = readFileSync(path, 'utf8');
      writeFileSync(path, text.replace(/SOURCE = `\n[\s\S]*?\n`;/, `SOURCE = \`\n${lines.join('\n')}\n\`;`));
    }
    expect(NON_VOLATILE_BUILTINS_SOURCE.trim().split(/\s+/)).toEqual(entries);
  });

  /** Runs `change` on a populated table; did PostgreSQL rewrite it (new relfilenode) or scan it (seq_scan)? */
  const effectOf = async (c: Case): Promise<{ rewrote: boolean; scanned: boolean }> => {
    const table = `t_${Math.random().toString(36).slice(2, 10)}`;
    const named = (sql: string) => sql.replaceAll('$T', table);
    await client.query(`${named(c.setup)}; INSERT INTO ${table} DEFAULT VALUES`);
    if (c.prepare) await client.query(named(c.prepare));
    const read = async () => {
      await client.query('SELECT pg_stat_force_next_flush()');
      const { rows } = await client.query(
        `SELECT pg_relation_filenode('${table}') AS f, (SELECT seq_scan FROM pg_stat_user_tables WHERE relid = '${table}'::regclass) AS s`,
      );
      return rows[0] as { f: string; s: string };
    };
    const before = await read();
    await client.query('BEGIN');
    if (c.session) await client.query(c.session);
    await client.query(named(c.change));
    await client.query('COMMIT');
    const after = await read();
    return { rewrote: before.f !== after.f, scanned: before.s !== after.s };
  };

  interface Case {
    setup: string;
    /** Run before the measured change, in its own transaction (an earlier migration). */
    prepare?: string;
    change: string;
    session?: string;
    utc?: boolean;
  }
  const cases: Case[] = [
    { setup: 'CREATE TABLE $T (c varchar(10))', change: 'ALTER TABLE $T ALTER COLUMN c TYPE varchar(20)' },
    { setup: 'CREATE TABLE $T (c varchar(10))', change: 'ALTER TABLE $T ALTER COLUMN c TYPE varchar(5)' },
    { setup: 'CREATE TABLE $T (c varchar(10))', change: 'ALTER TABLE $T ALTER COLUMN c TYPE varchar' },
    { setup: 'CREATE TABLE $T (c varchar(10))', change: 'ALTER TABLE $T ALTER COLUMN c TYPE text' },
    {
      setup: 'CREATE TABLE $T (c varchar(10))',
      change: 'ALTER TABLE $T ALTER COLUMN c TYPE text USING c::text',
    },
    {
      setup: 'CREATE TABLE $T (c varchar(10))',
      change: 'ALTER TABLE $T ALTER COLUMN c TYPE text USING upper(c)',
    },
    { setup: 'CREATE TABLE $T (c text)', change: 'ALTER TABLE $T ALTER COLUMN c TYPE varchar' },
    { setup: 'CREATE TABLE $T (c text)', change: 'ALTER TABLE $T ALTER COLUMN c TYPE varchar(50)' },
    {
      setup: 'CREATE TABLE $T (c numeric(10,2))',
      change: 'ALTER TABLE $T ALTER COLUMN c TYPE numeric(12,2)',
    },
    { setup: 'CREATE TABLE $T (c numeric(10,2))', change: 'ALTER TABLE $T ALTER COLUMN c TYPE numeric' },
    {
      setup: 'CREATE TABLE $T (c numeric(10,2))',
      change: 'ALTER TABLE $T ALTER COLUMN c TYPE numeric(12,4)',
    },
    { setup: 'CREATE TABLE $T (c cidr)', change: 'ALTER TABLE $T ALTER COLUMN c TYPE inet' },
    {
      setup: 'CREATE TABLE $T (c bit varying(8))',
      change: 'ALTER TABLE $T ALTER COLUMN c TYPE bit varying(16)',
    },
    { setup: 'CREATE TABLE $T (c timestamp(0))', change: 'ALTER TABLE $T ALTER COLUMN c TYPE timestamp(3)' },
    { setup: 'CREATE TABLE $T (c timestamp(3))', change: 'ALTER TABLE $T ALTER COLUMN c TYPE timestamp(0)' },
    { setup: 'CREATE TABLE $T (c interval(0))', change: 'ALTER TABLE $T ALTER COLUMN c TYPE interval' },
    { setup: 'CREATE TABLE $T (c time(0))', change: 'ALTER TABLE $T ALTER COLUMN c TYPE time(6)' },
    {
      setup: 'CREATE TABLE $T (c timestamp(3))',
      change: 'ALTER TABLE $T ALTER COLUMN c TYPE timestamptz(3)',
      session: "SET LOCAL TimeZone = 'UTC'",
      utc: true,
    },
    {
      setup: 'CREATE TABLE $T (c timestamp(3))',
      change: 'ALTER TABLE $T ALTER COLUMN c TYPE timestamptz(3)',
      session: "SET LOCAL TimeZone = 'Europe/Paris'",
    },
    ...[
      ['timestamp', 'timestamptz'],
      ['timestamp(3)', 'timestamptz'],
      ['timestamp(3)', 'timestamptz(6)'],
      ['timestamp', 'timestamptz(3)'],
      ['timestamptz', 'timestamp'],
      ['timestamptz(3)', 'timestamp(3)'],
    ].map(([from, to]) => ({
      setup: `CREATE TABLE $T (c ${from})`,
      change: `ALTER TABLE $T ALTER COLUMN c TYPE ${to}`,
      session: "SET LOCAL TimeZone = 'UTC'",
      utc: true,
    })),
    { setup: 'CREATE TABLE $T (c integer)', change: 'ALTER TABLE $T ALTER COLUMN c TYPE bigint' },
    { setup: 'CREATE TABLE $T (c integer)', change: 'ALTER TABLE $T ALTER COLUMN c TYPE text' },
    { setup: 'CREATE TABLE $T (c jsonb)', change: 'ALTER TABLE $T ALTER COLUMN c TYPE json' },
    { setup: 'CREATE TABLE $T (c int)', change: 'ALTER TABLE $T ADD COLUMN d int DEFAULT 7' },
    { setup: 'CREATE TABLE $T (c int)', change: 'ALTER TABLE $T ADD COLUMN d timestamptz DEFAULT now()' },
    { setup: 'CREATE TABLE $T (c int)', change: 'ALTER TABLE $T ADD COLUMN d float8 DEFAULT random()' },
    {
      setup: 'CREATE TABLE $T (c int)',
      change: 'ALTER TABLE $T ADD COLUMN d uuid DEFAULT gen_random_uuid()',
    },
    {
      setup: 'CREATE TABLE $T (c int)',
      change: "ALTER TABLE $T ADD COLUMN d text[] DEFAULT ARRAY['a']::text[]",
    },
    {
      setup: 'CREATE TABLE $T (c int)',
      change: 'ALTER TABLE $T ADD COLUMN d int GENERATED ALWAYS AS (c * 2) STORED',
    },
    { setup: 'CREATE TABLE $T (c int)', change: 'ALTER TABLE $T ADD COLUMN d bigserial' },
    {
      setup: 'CREATE TABLE $T (c int)',
      change: 'ALTER TABLE $T ADD COLUMN d bigint GENERATED BY DEFAULT AS IDENTITY',
    },
    { setup: 'CREATE TABLE $T (c int)', change: 'ALTER TABLE $T SET UNLOGGED' },
    { setup: 'CREATE TABLE $T (c int)', change: 'ALTER TABLE $T ADD COLUMN d int CHECK (d > 0)' },
    { setup: 'CREATE TABLE $T (c int)', change: 'ALTER TABLE $T ADD CONSTRAINT k CHECK (c > 0)' },
    { setup: 'CREATE TABLE $T (c int)', change: 'ALTER TABLE $T ADD CONSTRAINT k CHECK (c > 0) NOT VALID' },
    { setup: 'CREATE TABLE $T (c int DEFAULT 1)', change: 'ALTER TABLE $T ALTER COLUMN c SET NOT NULL' },
    {
      setup: 'CREATE TABLE $T (c int DEFAULT 1)',
      prepare:
        'ALTER TABLE $T ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID; ALTER TABLE $T VALIDATE CONSTRAINT c_nn',
      change: 'ALTER TABLE $T ALTER COLUMN c SET NOT NULL',
    },
    {
      setup: 'CREATE TABLE $T (c int DEFAULT 1)',
      prepare: 'ALTER TABLE $T ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID',
      change: 'ALTER TABLE $T ALTER COLUMN c SET NOT NULL',
    },
    { setup: 'CREATE TABLE $T (c int)', change: 'ALTER TABLE $T ALTER COLUMN c SET DEFAULT 5' },
    {
      setup: 'CREATE TABLE $T (c int NOT NULL DEFAULT 1)',
      change: 'ALTER TABLE $T ALTER COLUMN c DROP DEFAULT',
    },
  ];

  it('flags a change exactly when PostgreSQL rewrites or scans the table under its lock', async () => {
    const mismatches: string[] = [];
    for (const c of cases) {
      const { rewrote, scanned } = await effectOf(c);
      const files = [c.setup, c.prepare, c.change]
        .filter((sql): sql is string => sql !== undefined)
        .map((sql, i) => ({ sql: `${sql.replaceAll('$T', 't')};`, file: `${i}.sql` }));
      const results = await lintMigrationHistory(files, { ...(c.utc ? { sessionTimeZoneUtc: true } : {}) });
      const flagged = results[results.length - 1]!.findings.some((f) => f.severity === 'error');
      if (flagged !== (rewrote || scanned))
        mismatches.push(
          `${c.change} (from ${c.setup}${c.prepare ? `; ${c.prepare}` : ''}): PostgreSQL ${rewrote ? 'rewrote' : scanned ? 'scanned' : 'neither rewrote nor scanned'}, lint ${flagged ? 'flagged' : 'passed'}`,
        );
    }
    expect(mismatches).toEqual([]);
  });

  it('a new enum value cannot be used in the transaction that added it, as lint says', async () => {
    await client.query("CREATE TYPE state_kind AS ENUM ('open'); CREATE TABLE states (s state_kind)");
    const sql = "ALTER TYPE state_kind ADD VALUE 'closed' AFTER 'open';\nUPDATE states SET s = 'closed';";
    await expect(client.query(sql)).rejects.toThrow(/unsafe use of new value/);
    const [result] = await lintMigrationHistory([{ sql, file: 'm.sql' }]);
    expect(result!.findings.map((f) => f.rule)).toContain('new-enum-value-in-transaction');
  });

  it('CREATE INDEX CONCURRENTLY fails in a multi-statement query string, even after COMMIT, as lint says', async () => {
    await client.query('CREATE TABLE conc (a int)');
    const sql = "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY conc_a ON conc (a);";
    await expect(client.query(sql)).rejects.toThrow(/cannot run inside a transaction block/);
    await expect(client.query(`COMMIT;\n${sql}`)).rejects.toThrow(/cannot run inside a transaction block/);
    const [result] = await lintMigrationHistory([{ sql, file: 'm.sql' }]);
    expect(result!.findings.map((f) => f.rule)).toContain('ban-concurrent-index-creation-in-transaction');
    await client.query('CREATE INDEX CONCURRENTLY conc_a ON conc (a)');
  });
});
