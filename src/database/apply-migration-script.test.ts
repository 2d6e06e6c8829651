import { describe, expect, it } from 'vitest';
import { readScriptShape, sqlLiteral } from './apply-migration-script.js';

describe('readScriptShape', () => {
  it('runs ordinary scripts as one transaction without parsing them', async () => {
    expect(await readScriptShape('CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b text;\n')).toEqual({
      ownsTransaction: false,
      concurrent: false,
      statements: ['CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b text;\n'],
    });
  });

  it('splits CONCURRENTLY work into statements run outside a transaction', async () => {
    const shape = await readScriptShape(
      'CREATE INDEX CONCURRENTLY "i" ON "t"("a");\nALTER TABLE "t" ADD CONSTRAINT "u" UNIQUE USING INDEX "i";',
    );
    expect(shape.concurrent).toBe(true);
    expect(shape.statements).toEqual([
      'CREATE INDEX CONCURRENTLY "i" ON "t"("a")',
      '\nALTER TABLE "t" ADD CONSTRAINT "u" UNIQUE USING INDEX "i"',
    ]);
  });

  it('reads REINDEX (CONCURRENTLY false) as a plain REINDEX, run in the transaction', async () => {
    expect(await readScriptShape('REINDEX (CONCURRENTLY false) INDEX i;\nANALYZE t;')).toMatchObject({
      concurrent: false,
    });
    expect(await readScriptShape('REINDEX (CONCURRENTLY on) INDEX i;')).toMatchObject({ concurrent: true });
  });

  it('sends a script with its own BEGIN/COMMIT as written', async () => {
    const shape = await readScriptShape('BEGIN;\nCREATE INDEX CONCURRENTLY i ON t(a);\nCOMMIT;');
    expect(shape).toMatchObject({ ownsTransaction: true, concurrent: false });
  });

  it('does not mistake the word END in a function body for transaction control', async () => {
    const shape = await readScriptShape(
      'CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql;\nSELECT CASE WHEN true THEN 1 END;',
    );
    expect(shape).toMatchObject({ ownsTransaction: false, concurrent: false });
  });
});

describe('sqlLiteral', () => {
  it('doubles quotes', () => {
    expect(sqlLiteral("it's")).toBe("'it''s'");
  });
});
