import { describe, expect, it } from 'vitest';
import { lintMigration } from './lint-migration.js';

const rules = async (sql: string, assumeInTransaction = true) =>
  (await lintMigration(sql, 'm.sql', { assumeInTransaction })).findings
    .filter((f) => !f.ignored)
    .map((f) => `${f.line}:${f.column} ${f.severity} ${f.rule}`);
const errors = async (sql: string, assumeInTransaction = true) =>
  (await rules(sql, assumeInTransaction)).filter((r) => r.includes(' error '));

describe('lintMigration', () => {
  it('points at file, line and column of the statement, with the lock and the safer way', async () => {
    const result = await lintMigration(
      'SET lock_timeout = \'2s\';\n\n-- add an index\nCREATE INDEX "User_email_idx" ON "User"("email");\n',
      'prisma/migrations/1_x/migration.sql',
    );
    expect(result.findings).toEqual([
      {
        rule: 'require-concurrent-index-creation',
        severity: 'error',
        message: 'CREATE INDEX on existing table "User" without CONCURRENTLY blocks writes while it builds.',
        lock: 'SHARE (blocks writes: INSERT, UPDATE, DELETE) for the whole index build',
        safer: 'CREATE INDEX CONCURRENTLY, alone in its own migration (it cannot run in a transaction).',
        file: 'prisma/migrations/1_x/migration.sql',
        line: 4,
        column: 34,
        statement: 'CREATE INDEX "User_email_idx" ON "User"("email")',
      },
    ]);
    expect(result.blocking).toBe(1);
  });

  it('does not flag work on a table created in the same migration', async () => {
    expect(
      await errors(`CREATE TABLE "Post" ("id" BIGSERIAL NOT NULL, "authorId" BIGINT NOT NULL, "title" TEXT);
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
ALTER TABLE "Post" ADD CONSTRAINT "Post_pkey" PRIMARY KEY ("id");
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");
ALTER TABLE "Post" ALTER COLUMN "title" SET NOT NULL;
ALTER TABLE "Post" ADD COLUMN "slug" TEXT NOT NULL;`),
    ).toEqual([]);
  });

  it('silences one statement with -- prodguard-ignore <rule> <reason>, and keeps the reason', async () => {
    const result = await lintMigration(
      `-- prodguard-ignore ban-drop-column column unused since v12, backed up\nALTER TABLE "User" DROP COLUMN "legacy";\nALTER TABLE "User" DROP COLUMN "other";\n`,
      'm.sql',
    );
    expect(
      result.findings.filter((f) => f.severity === 'error').map((f) => [f.line, f.rule, f.ignored?.reason]),
    ).toEqual([
      [2, 'ban-drop-column', 'column unused since v12, backed up'],
      [3, 'ban-drop-column', undefined],
    ]);
    expect(result.blocking).toBe(1);
  });

  it('warns about varchar(n), timestamp without time zone, 32-bit integers and serial', async () => {
    expect(
      await rules(
        'CREATE TABLE IF NOT EXISTS "T" ("id" SERIAL, "name" VARCHAR(20), "at" TIMESTAMP(3), "userId" INTEGER);',
      ),
    ).toEqual([
      '1:33 warning prefer-bigint-over-int',
      '1:33 warning prefer-identity',
      '1:46 warning prefer-text-field',
      '1:66 warning prefer-timestamp-tz',
      '1:85 warning prefer-bigint-over-int',
    ]);
  });

  it('knows volatile from stable defaults', async () => {
    expect(await rules('ALTER TABLE "T" ADD COLUMN "a" UUID DEFAULT gen_random_uuid();')).toEqual([
      '1:1 warning require-lock-timeout',
      '1:28 error adding-field-with-default',
    ]);
    expect(
      await rules(
        `SET lock_timeout = '1s'; ALTER TABLE "T" ADD COLUMN "a" TIMESTAMPTZ NOT NULL DEFAULT now();`,
      ),
    ).toEqual([]);
    // unknown functions are volatile (CREATE FUNCTION's default); so is a built-in called with the wrong arity
    expect(await errors(`ALTER TABLE "T" ADD COLUMN "a" UUID DEFAULT uuid_generate_v4();`)).toEqual([
      '1:28 error adding-field-with-default',
    ]);
    expect(await errors(`ALTER TABLE "T" ADD COLUMN "a" TIMESTAMPTZ DEFAULT now(1);`)).toEqual([
      '1:28 error adding-field-with-default',
    ]);
    expect(await errors(`ALTER TABLE "T" ADD COLUMN "a" TEXT DEFAULT lower(concat('a', 'B'));`)).toEqual([]);
  });

  it('flags CONCURRENTLY sharing a file with other statements, as Prisma runs a file as one transaction', async () => {
    const sql =
      'CREATE INDEX CONCURRENTLY "i" ON "T"("a");\nALTER TABLE "T" ADD CONSTRAINT "u" UNIQUE USING INDEX "i";\n';
    expect(await rules(sql)).toContain('1:1 error ban-concurrent-index-creation-in-transaction');
    expect(await rules(sql, false)).not.toContain('1:1 error ban-concurrent-index-creation-in-transaction');
    expect(await rules('CREATE INDEX CONCURRENTLY IF NOT EXISTS "i" ON "T"("a");')).toEqual([]);
    // squawk's directive: this file is not wrapped in a transaction
    expect(await errors(`-- squawk-disable-assume-in-transaction\n${sql}`)).toEqual([]);
  });

  it('reports a syntax error with its position', async () => {
    await expect(lintMigration('SELECT 1;\nALTER TABLE ADD COLUMN x int;', 'bad.sql')).rejects.toThrow(
      /bad\.sql:2:17: PostgreSQL cannot parse this migration: syntax error at or near "COLUMN"/,
    );
  });
});
