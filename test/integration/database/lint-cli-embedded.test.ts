import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProdguard } from '../../helpers/cli.js';
import { createDbProject, type DbProject } from './project.js';

describe('migrate lint and new through the real CLI', () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await createDbProject();
    p.migration(
      '20260301000000_index',
      `SET lock_timeout = '2s';\nCREATE INDEX "User_email_idx" ON "User"("email");\n-- prodguard-ignore ban-drop-column archived in ticket 7\nALTER TABLE "User" DROP COLUMN "legacy";\n`,
    );
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('prints file:line:column, the lock and the safer way, and exits 1 on a blocking finding', async () => {
    const r = await p.cli(['migrate', 'lint']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(
      [
        'prisma/migrations/20260301000000_index/migration.sql:2:34  error  require-concurrent-index-creation  CREATE INDEX on existing table "User" without CONCURRENTLY blocks writes while it builds.',
        '    CREATE INDEX "User_email_idx" ON "User"("email")',
        '    lock:  SHARE (blocks writes: INSERT, UPDATE, DELETE) for the whole index build',
        '    safer: CREATE INDEX CONCURRENTLY, alone in its own migration (it cannot run in a transaction).',
        'prisma/migrations/20260301000000_index/migration.sql:4:1  ignored  ban-drop-column  Dropping column "legacy" of "User".',
        '    ALTER TABLE "User" DROP COLUMN "legacy"',
        '    ignored: archived in ticket 7',
        '✗ 1 file(s), 1 blocking finding(s), 0 warning(s)',
        '',
      ].join('\n'),
    );
  });

  it('writes SARIF for code scanning', async () => {
    const r = await p.cli(['migrate', 'lint', '--sarif']);
    const sarif = JSON.parse(r.stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results).toEqual([
      expect.objectContaining({
        ruleId: 'require-concurrent-index-creation',
        level: 'error',
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: 'prisma/migrations/20260301000000_index/migration.sql' },
              region: { startLine: 2, startColumn: 34 },
            },
          },
        ],
      }),
    ]);
  });

  it('lints a folder as a history: a type change is judged against the type an earlier migration created', async () => {
    p.write(
      'history/20260101000000_init/migration.sql',
      'CREATE TABLE "Doc" ("id" BIGINT PRIMARY KEY, "Title" VARCHAR(50), "pages" INTEGER);\n',
    );
    p.write(
      'history/20260102000000_wider/migration.sql',
      `SET lock_timeout = '2s';\nALTER TABLE "Doc" ALTER COLUMN "Title" SET DATA TYPE VARCHAR(100);\n`,
    );
    const widened = await p.cli(['migrate', 'lint', '--json', 'history']);
    expect(widened.exitCode).toBe(0);
    p.write(
      'history/20260103000000_bigger/migration.sql',
      `SET lock_timeout = '2s';\nALTER TABLE "Doc" ALTER COLUMN "pages" SET DATA TYPE BIGINT;\n`,
    );
    const rewritten = await p.cli(['migrate', 'lint', 'history']);
    expect(rewritten.exitCode).toBe(1);
    expect(rewritten.stdout).toContain(
      'history/20260103000000_bigger/migration.sql:2:32  error  changing-column-type  Changing the type of "Doc"."pages": int4 → int8 converts every value.',
    );
    // the same file alone: the old type is unknown, so the change is flagged, saying when it would be safe
    const alone = await p.cli(['migrate', 'lint', 'history/20260102000000_wider']);
    expect(alone.exitCode).toBe(1);
    expect(alone.stdout).toContain('its current type is not known from this migration history');
  });

  it('creates a migration folder with migration.sql and down.sql that lint clean', async () => {
    const r = await p.cli(['migrate', 'new', 'Add user email', '--json']);
    expect(r.exitCode).toBe(0);
    const created = JSON.parse(r.stdout);
    expect(created.name).toMatch(/^\d{14}_add_user_email$/);
    expect(readFileSync(join(p.dir, 'prisma/migrations/migration_lock.toml'), 'utf8')).toContain(
      'provider = "postgresql"',
    );
    const lint = await p.cli(['migrate', 'lint', join('prisma/migrations', created.name)]);
    expect(lint.exitCode).toBe(0);
  });

  it('says a Prisma 8 style folder without migration.sql is not supported yet', async () => {
    p.write('prisma/migrations/20260401000000_new_layout/steps.json', '{}');
    const r = await p.cli(['migrate', 'status']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('PRODGUARD_MIGRATE_FOLDER_UNSUPPORTED');
    expect(r.stderr).toContain('Prisma 8 style');
  });
});

describe('scratch databases from an embedded PostgreSQL when no shadow URL is configured', () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await createDbProject();
    p.migration('20260101000000_t', 'CREATE TABLE "T" ("id" BIGSERIAL PRIMARY KEY);\n', 'DROP TABLE "T";\n');
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('verifies a rollback on an embedded server started on demand', { timeout: 120_000 }, async () => {
    // SHADOW_URL unset: database.shadowUrlEnv names nothing, so prodguard starts its own PostgreSQL.
    const r = await runProdguard(['migrate', 'verify-rollback', 'local'], {
      cwd: p.dir,
      env: { ...p.env, SHADOW_URL: undefined },
      timeoutMs: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('✓ 20260101000000_t: up → down → up gives identical schemas');
    expect(r.stdout).toMatch(/scratch: embedded PostgreSQL on 127\.0\.0\.1:\d+/);
  });
});
