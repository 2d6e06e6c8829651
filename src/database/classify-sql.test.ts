import { describe, expect, it } from 'vitest';
import { classifySql } from './classify-sql.js';
import { redactUrl } from './pg-session.js';

describe('classifySql', () => {
  it('tells reads, writes, schema changes, role changes and transaction control apart', async () => {
    const kinds = await classifySql(`SELECT 1; SHOW search_path; EXPLAIN SELECT 1;
      EXPLAIN ANALYZE DELETE FROM t; INSERT INTO t VALUES (1); SELECT * INTO t2 FROM t; COPY t TO STDOUT;
      ALTER TABLE t ADD COLUMN c int; DO $$ BEGIN END $$; CREATE INDEX i ON t(a);
      ALTER ROLE app PASSWORD 'x'; ALTER USER app WITH PASSWORD 'y';
      COMMIT; SET TRANSACTION READ WRITE; SET default_transaction_read_only = off; SET search_path = app;`);
    expect(kinds.map((k) => `${k.node}:${k.kind}`)).toEqual([
      'SelectStmt:read',
      'VariableShowStmt:read',
      'ExplainStmt:read',
      'ExplainStmt:write',
      'InsertStmt:write',
      'SelectStmt:write',
      'CopyStmt:read',
      'AlterTableStmt:ddl',
      'DoStmt:ddl',
      'IndexStmt:ddl',
      'AlterRoleStmt:role',
      'AlterRoleStmt:role',
      'TransactionStmt:transaction',
      'VariableSetStmt:transaction',
      'VariableSetStmt:transaction',
      'VariableSetStmt:session',
    ]);
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
