import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PRISMA_MIGRATIONS_TABLE_DDL,
  readEnvironmentStatus,
  readMigrationHistory,
} from '../../../src/database/index.js';
import { createTestDatabase, postgresServer } from '../../helpers/postgres.js';
import { createDbProject, type DbProject } from './project.js';

const USERS_UP = `-- CreateTable
CREATE TABLE "User" (
    "id" BIGSERIAL NOT NULL,
    "email" TEXT NOT NULL,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`;
const USERS_DOWN = 'DROP TABLE "User";\n';
const POSTS_UP = `CREATE TABLE "Post" ("id" BIGSERIAL PRIMARY KEY, "authorId" BIGINT NOT NULL REFERENCES "User"("id"), "title" TEXT NOT NULL);\n`;
const POSTS_DOWN = 'DROP TABLE "Post";\n';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('prodguard migrate (real CLI, real PostgreSQL)', () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await createDbProject();
    p.migration('20260101000000_users', USERS_UP, USERS_DOWN);
    p.migration('20260102000000_posts', POSTS_UP, POSTS_DOWN);
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('shows every migration pending everywhere, with exit code 1', async () => {
    const r = await p.cli(['migrate', 'status', '--json']);
    expect(r.exitCode, r.stderr).toBe(1);
    const matrix = JSON.parse(r.stdout);
    expect(matrix.cells['20260101000000_users']).toEqual({
      local: 'pending',
      staging: 'pending',
      production: 'pending',
    });
  });

  it('refuses staging before local (staging-first), and audits the refusal', async () => {
    const r = await p.cli(['migrate', 'deploy', 'staging']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toContain(
      '✗ staging-first: not applied on local yet: 20260101000000_users, 20260102000000_posts',
    );
    const audit = JSON.parse((await p.cli(['audit', 'log', '--json'])).stdout);
    expect(audit.events.at(-1)).toMatchObject({
      action: 'migrate.deploy',
      environment: 'staging',
      outcome: 'refused',
    });
  });

  it('applies to local and writes _prisma_migrations exactly as Prisma does', async () => {
    const r = await p.cli(['migrate', 'deploy', 'local']);
    expect(r.stderr).toBe('');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('✓ 2 migration(s) applied to local');
    const columns = await p.query(
      'local',
      `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
       FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(
      columns.map((c) => [
        c.column_name,
        c.data_type,
        c.character_maximum_length,
        c.is_nullable,
        c.column_default,
      ]),
    ).toEqual([
      ['id', 'character varying', 36, 'NO', null],
      ['checksum', 'character varying', 64, 'NO', null],
      ['finished_at', 'timestamp with time zone', null, 'YES', null],
      ['migration_name', 'character varying', 255, 'NO', null],
      ['logs', 'text', null, 'YES', null],
      ['rolled_back_at', 'timestamp with time zone', null, 'YES', null],
      ['started_at', 'timestamp with time zone', null, 'NO', 'now()'],
      ['applied_steps_count', 'integer', null, 'NO', '0'],
    ]);
    const rows = await p.query('local', 'SELECT * FROM _prisma_migrations ORDER BY started_at');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      migration_name: '20260101000000_users',
      checksum: sha256(USERS_UP),
      logs: null,
      rolled_back_at: null,
      applied_steps_count: 1,
    });
    expect(rows[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((rows[0]!.finished_at as Date).getTime()).toBeGreaterThanOrEqual(
      (rows[0]!.started_at as Date).getTime(),
    );
    expect(await p.query('local', 'SELECT count(*)::int AS n FROM "User"')).toEqual([{ n: 0 }]);
  });

  it('goes to staging once local has it, and refuses production without a tested rollback', async () => {
    expect((await p.cli(['migrate', 'deploy', 'staging'])).exitCode).toBe(0);
    const refused = await p.cli(['migrate', 'deploy', 'production']);
    expect(refused.exitCode, refused.stderr).toBe(1);
    expect(refused.stdout).toContain('✓ staging-first');
    expect(refused.stdout).toContain(
      '✗ migration-rollback-tested: no tested rollback for 20260101000000_users (not verified)',
    );
    expect(await p.query('production', 'SELECT to_regclass(\'"User"\') AS t')).toEqual([{ t: null }]);
  });

  it('verifies rollbacks on a scratch copy, then deploys production after a verified backup', async () => {
    const verify = await p.cli(['migrate', 'verify-rollback', 'production']);
    expect(verify.stdout).toContain('✓ 20260101000000_users: up → down → up gives identical schemas');
    expect(verify.exitCode, verify.stderr).toBe(0);
    const r = await p.cli(['migrate', 'deploy', 'production', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.applied).toEqual(['20260101000000_users', '20260102000000_posts']);
    const backupVerdict = result.evaluation.verdicts.find((v: { id: string }) => v.id === 'migration-backup');
    expect(backupVerdict.status).toBe('pass');
    expect(result.backup.sha256).toBe(sha256Buffer(readFileSync(result.backup.path)));
    expect(result.backup.sizeBytes).toBeGreaterThan(0);
    // the backup finished before the first migration started
    const first = (await p.query('production', 'SELECT min(started_at) AS at FROM _prisma_migrations'))[0]!
      .at as Date;
    expect(new Date(result.backup.finishedAt).getTime()).toBeLessThanOrEqual(first.getTime());
    expect(JSON.stringify(result)).not.toContain(postgresServer().password);
  });

  it('records a failure as Prisma does, refuses to go on (P3009) until resolved', async () => {
    p.migration(
      '20260103000000_broken',
      'ALTER TABLE "User" ADD COLUMN "name" TEXT;\nALTER TABLE "Nope" ADD COLUMN "x" INT;\n',
      'ALTER TABLE "User" DROP COLUMN "name";\n',
    );
    const failed = await p.cli(['migrate', 'deploy', 'local']);
    expect(failed.exitCode, failed.stderr).toBe(3);
    expect(failed.stdout).toContain('relation "Nope" does not exist (SQLSTATE 42P01)');
    const row = (
      await p.query(
        'local',
        "SELECT * FROM _prisma_migrations WHERE migration_name = '20260103000000_broken'",
      )
    )[0]!;
    expect(row).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(row.logs).toContain('relation "Nope" does not exist');
    // the transaction rolled back: the first statement left nothing
    expect(
      await p.query(
        'local',
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'name'",
      ),
    ).toEqual([]);

    const status = await p.cli(['migrate', 'status', '--env', 'local']);
    expect((status.exitCode ?? 0) & 2).toBe(2);
    expect(status.stdout).toMatch(/20260103000000_broken\s+✗ failed/);

    const again = await p.cli(['migrate', 'deploy', 'local']);
    expect(again.exitCode, again.stderr).toBe(1);
    expect(again.stderr).toContain('PRODGUARD_MIGRATE_FAILED_MIGRATION');
    expect(again.stderr).toContain('--rolled-back 20260103000000_broken');

    const notFailed = await p.cli(['migrate', 'resolve', 'local', '--rolled-back', '20260101000000_users']);
    expect(notFailed.exitCode, notFailed.stderr).toBe(2);
    expect(notFailed.stderr).toContain('P3012');

    expect(
      (await p.cli(['migrate', 'resolve', 'local', '--rolled-back', '20260103000000_broken'])).exitCode,
    ).toBe(0);
    expect(
      (
        await p.query(
          'local',
          "SELECT rolled_back_at FROM _prisma_migrations WHERE migration_name = '20260103000000_broken'",
        )
      )[0]!.rolled_back_at,
    ).toBeInstanceOf(Date);
    p.migration('20260103000000_broken', 'ALTER TABLE "User" ADD COLUMN "name" TEXT;\n');
    const fixed = await p.cli(['migrate', 'deploy', 'local']);
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    const rows = await p.query(
      'local',
      "SELECT finished_at, rolled_back_at FROM _prisma_migrations WHERE migration_name = '20260103000000_broken' ORDER BY started_at",
    );
    expect(rows).toHaveLength(2);
    expect(rows[1]!.finished_at).toBeInstanceOf(Date);
  });

  it('resolve --applied records a hand-completed migration and rejects a second one (P3008)', async () => {
    p.migration('20260104000000_manual', 'CREATE INDEX CONCURRENTLY "User_name_idx" ON "User"("name");\n');
    await p.query('staging', 'ALTER TABLE "User" ADD COLUMN IF NOT EXISTS "name" TEXT');
    const applied = await p.cli(['migrate', 'resolve', 'staging', '--applied', '20260104000000_manual']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const row = (
      await p.query(
        'staging',
        "SELECT * FROM _prisma_migrations WHERE migration_name = '20260104000000_manual'",
      )
    )[0]!;
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.checksum).toBe(sha256('CREATE INDEX CONCURRENTLY "User_name_idx" ON "User"("name");\n'));
    const twice = await p.cli(['migrate', 'resolve', 'staging', '--applied', '20260104000000_manual']);
    expect(twice.exitCode, twice.stderr).toBe(2);
    expect(twice.stderr).toContain('P3008');
  });

  it('runs a CONCURRENTLY migration outside a transaction', async () => {
    const r = await p.cli(['migrate', 'deploy', 'local']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(
      await p.query('local', "SELECT indexname FROM pg_indexes WHERE indexname = 'User_name_idx'"),
    ).toEqual([{ indexname: 'User_name_idx' }]);
  });

  it('detects edited (but not CRLF-converted), missing and out-of-order migrations', async () => {
    p.migration('20260101000000_users', USERS_UP.replace(/\n/g, '\r\n'), USERS_DOWN);
    let status = JSON.parse((await p.cli(['migrate', 'status', '--env', 'local', '--json'])).stdout);
    expect(status.cells['20260101000000_users'].local).toBe('applied');

    p.migration('20260101000000_users', USERS_UP.replace('"email" TEXT', '"email" VARCHAR(200)'), USERS_DOWN);
    p.migration('20260101120000_late', 'CREATE TABLE "Late" ("id" BIGSERIAL PRIMARY KEY);\n');
    // a row Prisma wrote for a migration whose folder was since deleted
    await p.query(
      'local',
      "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES (gen_random_uuid()::text, $1, now(), '20251231000000_gone', NULL, NULL, now(), 1)",
      [sha256('SELECT 1;')],
    );
    const r = await p.cli(['migrate', 'status', '--env', 'local', '--json']);
    status = JSON.parse(r.stdout);
    expect(status.cells['20260101000000_users'].local).toBe('edited');
    expect(status.cells['20260101120000_late'].local).toBe('out-of-order');
    expect(status.cells['20251231000000_gone'].local).toBe('missing');
    expect(r.exitCode, r.stderr).toBe(1 | 4);
    p.migration('20260101000000_users', USERS_UP, USERS_DOWN);
  });

  it('reads a history written the way Prisma writes it as applied', async () => {
    // Simulate a database migrated by `prisma migrate deploy`: its DDL and rows, on a fresh database.
    const prismaDb = await createTestDatabase('prisma');
    try {
      const client = new pg.Client({ connectionString: prismaDb.url });
      await client.connect();
      await client.query(PRISMA_MIGRATIONS_TABLE_DDL);
      await client.query(USERS_UP);
      await client.query(
        "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES ('3f1d6b7e-1c2a-4b8e-9f00-0a1b2c3d4e5f', $1, '20260101000000_users', now(), 0)",
        [sha256(USERS_UP)],
      );
      await client.query(
        "UPDATE _prisma_migrations SET finished_at = now(), applied_steps_count = 1 WHERE id = '3f1d6b7e-1c2a-4b8e-9f00-0a1b2c3d4e5f'",
      );
      await client.end();
      const history = readMigrationHistory(join(p.dir, 'prisma/migrations'));
      const status = await readEnvironmentStatus(history, 'x', prismaDb.url);
      expect(status.entries.find((e) => e.name === '20260101000000_users')?.state).toBe('applied');
      expect(status.pending[0]).toBe('20260101120000_late');
    } finally {
      await prismaDb.drop();
    }
  });
});

function sha256Buffer(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex');
}

describe('an irreversible production migration', () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await createDbProject();
    p.migration('20260101000000_users', USERS_UP, USERS_DOWN);
    p.migration(
      '20260110000000_drop_email',
      '-- prodguard-ignore ban-drop-column emails moved to the Contact table in v41\nALTER TABLE "User" DROP COLUMN "email";\n',
    );
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('needs --no-rollback with a reason; the lint ignore comment is honoured and everything is audited', async () => {
    expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
    expect((await p.cli(['migrate', 'deploy', 'staging'])).exitCode).toBe(0);
    const noReason = await p.cli(['migrate', 'deploy', 'production', '--no-rollback']);
    expect(noReason.exitCode, noReason.stderr).toBe(2);
    expect(noReason.stderr).toContain('--no-rollback needs --reason');
    const r = await p.cli([
      'migrate',
      'deploy',
      'production',
      '--no-rollback',
      '--reason',
      'drops a column; data kept in Contact',
    ]);
    expect(r.stdout).toContain('✓ migration-lint: 2 migration(s) lint clean');
    expect(r.stdout).toContain(
      '✓ migration-rollback-tested: deployed without a tested rollback (--no-rollback): drops a column; data kept in Contact',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const audit = JSON.parse((await p.cli(['audit', 'log', '--env', 'production', '--json'])).stdout);
    expect(audit.events.at(-1)).toMatchObject({
      action: 'migrate.deploy',
      outcome: 'success',
      reason: 'drops a column; data kept in Contact',
      details: { noRollback: 'drops a column; data kept in Contact' },
    });
  });
});
