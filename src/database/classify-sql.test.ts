import { describe, expect, it } from 'vitest';
import { classifySql } from './classify-sql.js';
import { redactUrl } from './pg-session.js';

describe('classifySql', () => {
  it('tells reads, writes, schema changes, role changes, transaction control, settings, COPY and utilities apart', async () => {
    const kinds = await classifySql(`SELECT 1; SHOW search_path; EXPLAIN SELECT 1; VALUES (1); TABLE t;
      EXPLAIN ANALYZE DELETE FROM t; EXPLAIN DELETE FROM t; INSERT INTO t VALUES (1); SELECT * INTO t2 FROM t;
      COPY t TO STDOUT; ALTER TABLE t ADD COLUMN c int; DO $$ BEGIN END $$; CREATE INDEX i ON t(a);
      ALTER ROLE app PASSWORD 'x'; GRANT SELECT ON t TO x; COMMIT; SET TRANSACTION READ WRITE;
      SET default_transaction_read_only = off; SET search_path = app; SET ROLE postgres;
      WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d; SELECT * FROM t FOR UPDATE;
      CALL p(); LISTEN c; VACUUM t; TRUNCATE t; EXPLAIN (ANALYZE off) DELETE FROM t;`);
    expect(kinds.map((k) => `${k.node}:${k.kind}`)).toEqual([
      'SelectStmt:read',
      'VariableShowStmt:read',
      'ExplainStmt:read',
      'SelectStmt:read',
      'SelectStmt:read',
      'ExplainStmt:write',
      'ExplainStmt:read',
      'InsertStmt:write',
      'SelectStmt:ddl',
      'CopyStmt:copy',
      'AlterTableStmt:ddl',
      'DoStmt:utility',
      'IndexStmt:ddl',
      'AlterRoleStmt:role',
      'GrantStmt:role',
      'TransactionStmt:transaction',
      'VariableSetStmt:transaction',
      'VariableSetStmt:session',
      'VariableSetStmt:session',
      'VariableSetStmt:role',
      'SelectStmt:write',
      'SelectStmt:write',
      'CallStmt:utility',
      'ListenStmt:utility',
      'VacuumStmt:utility',
      'TruncateStmt:ddl',
      'ExplainStmt:read',
    ]);
  });

  it('reads EXPLAIN options as PostgreSQL does: ANALYZE 0 runs nothing; a value it would refuse counts as running', async () => {
    const kinds = await classifySql(
      'EXPLAIN (ANALYZE 0) DELETE FROM t; EXPLAIN (ANALYZE 1) DELETE FROM t; EXPLAIN (ANALYZE no) DELETE FROM t;',
    );
    expect(kinds.map((k) => k.kind)).toEqual(['read', 'write', 'write']);
  });

  it('finds every function call: nested in subqueries, CTEs, FROM, filters and aggregates, schema-normalized', async () => {
    const [s] = await classifySql(`WITH x AS (SELECT pg_catalog.lower(name) AS n FROM t WHERE upper(a) = 'A')
      SELECT count(*) FILTER (WHERE length(n) > coalesce(abs(1), 2)), app.slugify(n)
      FROM x, generate_series(1, 3) g WHERE EXISTS (SELECT lo_create(0)) AND n ~~ 'a%'
      AND a OPERATOR(app.===) b AND c === d AND 1 OPERATOR(app.<<<) ANY (SELECT 1) ORDER BY n USING OPERATOR(app.<<<)`);
    expect(s!.functions).toEqual([
      'abs',
      'app.slugify',
      'count',
      'generate_series',
      'length',
      'lo_create',
      'lower',
      'upper',
    ]);
    expect(s!.findings).toEqual([
      { what: 'operator', name: 'app.===' },
      { what: 'operator', name: '===' },
      { what: 'operator', name: 'app.<<<' },
      { what: 'operator', name: 'app.<<<' },
    ]);
  });

  it('fails closed on a statement nested deeper than it inspects', async () => {
    const deep = `SELECT ${'abs('.repeat(800)}1${')'.repeat(800)}`;
    const [s] = await classifySql(deep);
    expect(s!.findings).toEqual([{ what: 'depth', name: '2000' }]);
  });
});

describe('redactUrl', () => {
  it('never shows a password', () => {
    expect(redactUrl('postgresql://app:s3cr%40t-Passw0rd@db.internal:5432/prod?sslmode=require')).toBe(
      'postgresql://app:[redacted]@db.internal:5432/prod?sslmode=require',
    );
    expect(redactUrl('postgresql://db.internal/prod')).toBe('postgresql://db.internal/prod');
  });
});
