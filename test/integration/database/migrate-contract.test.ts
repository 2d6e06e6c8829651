import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbProject, type DbProject } from './project.js';

const USERS_UP = 'CREATE TABLE "User" ("id" BIGSERIAL PRIMARY KEY, "email" TEXT NOT NULL);\n';
const USERS_DOWN = 'DROP TABLE "User";\n';

interface AuditEvent {
  action: string;
  target?: string;
  reason?: string;
  outcome: string;
  details?: Record<string, unknown>;
}

async function auditEvents(p: DbProject, env: string): Promise<AuditEvent[]> {
  const r = await p.cli(['audit', 'log', '--env', env, '--json']);
  return JSON.parse(r.stdout).events as AuditEvent[];
}

describe('migration history is a contract (real CLI, real PostgreSQL)', () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await createDbProject();
    p.migration('20260101000000_users', USERS_UP, USERS_DOWN);
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('records finished_at when the migration finished: a 1.5 s migration spans ≥ 1.5 s', async () => {
    p.migration(
      '20260101000500_slow',
      'SELECT pg_sleep(1.5);\nCREATE TABLE "Slow" ("id" INT);\n',
      'DROP TABLE "Slow";\n',
    );
    const r = await p.cli(['migrate', 'deploy', 'local']);
    expect(r.exitCode, r.stderr).toBe(0);
    const [row] = await p.query<{ ms: number }>(
      'local',
      "SELECT extract(epoch FROM finished_at - started_at) * 1000 AS ms FROM _prisma_migrations WHERE migration_name = '20260101000500_slow'",
    );
    expect(Number(row!.ms)).toBeGreaterThanOrEqual(1500);
    expect((await p.cli(['migrate', 'deploy', 'staging'])).exitCode).toBe(0);
  });

  it('refuses an edited applied migration on a protected environment (exit 1) and only warns on local', async () => {
    p.migration('20260101000000_users', USERS_UP.replace('"email" TEXT', '"email" VARCHAR(200)'), USERS_DOWN);
    p.migration(
      '20260102000000_posts',
      'CREATE TABLE "Post" ("id" BIGSERIAL PRIMARY KEY);\n',
      'DROP TABLE "Post";\n',
    );
    const local = await p.cli(['migrate', 'deploy', 'local']);
    expect(local.exitCode, local.stderr).toBe(0);
    expect(local.stdout + local.stderr).toContain('applied migrations edited since: 20260101000000_users');

    const staging = await p.cli(['migrate', 'deploy', 'staging']);
    expect(staging.exitCode, staging.stderr).toBe(1);
    expect(staging.stdout).toContain(
      '✗ migration-history-intact: the history on staging is not the one it applied: 20260101000000_users (edited after it was applied)',
    );
    expect(await p.query('staging', 'SELECT to_regclass(\'"Post"\') AS t')).toEqual([{ t: null }]);
    expect((await auditEvents(p, 'staging')).at(-1)).toMatchObject({
      action: 'migrate.deploy',
      outcome: 'refused',
    });
    p.migration('20260101000000_users', USERS_UP, USERS_DOWN);
  });

  it('refuses an out-of-order migration on a protected environment, overridable with a reason', async () => {
    expect((await p.cli(['migrate', 'deploy', 'staging'])).exitCode).toBe(0);
    p.migration(
      '20260101120000_late',
      'CREATE TABLE "Late" ("id" BIGSERIAL PRIMARY KEY);\n',
      'DROP TABLE "Late";\n',
    );
    expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
    const refused = await p.cli(['migrate', 'deploy', 'staging']);
    expect(refused.exitCode, refused.stderr).toBe(1);
    expect(refused.stdout).toContain('20260101120000_late (older than an applied migration)');
    const forced = await p.cli([
      'migrate',
      'deploy',
      'staging',
      '--override',
      'migration-history-intact=independent table, order does not matter',
    ]);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(await p.query('staging', 'SELECT to_regclass(\'"Late"\')::text AS t')).toEqual([{ t: '"Late"' }]);
    const override = (await auditEvents(p, 'staging')).find((e) => e.action === 'rule.override');
    expect(override).toMatchObject({
      target: 'migration-history-intact',
      reason: 'independent table, order does not matter',
      outcome: 'overridden',
    });
  });

  it('keeps one reason per override: --override migration-lint --reason A --no-rollback --reason B', async () => {
    p.migration('20260201000000_drop_email', 'ALTER TABLE "User" DROP COLUMN "email";\n');
    expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
    expect((await p.cli(['migrate', 'deploy', 'staging'])).exitCode).toBe(0);
    const r = await p.cli([
      'migrate',
      'deploy',
      'production',
      '--override',
      'migration-lint',
      '--reason',
      'column unused since v40, checked in the logs',
      '--no-rollback',
      '--reason',
      'the column is archived in the export of 2026-01-31',
    ]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const events = await auditEvents(p, 'production');
    expect(events.find((e) => e.action === 'rule.override')).toMatchObject({
      target: 'migration-lint',
      reason: 'column unused since v40, checked in the logs',
    });
    expect(events.at(-1)).toMatchObject({
      action: 'migrate.deploy',
      outcome: 'success',
      reason: 'the column is archived in the export of 2026-01-31',
      details: { noRollback: 'the column is archived in the export of 2026-01-31' },
    });
  });

  it('refuses to guess which reason goes with which override', async () => {
    const r = await p.cli([
      'migrate',
      'deploy',
      'production',
      '--override',
      'migration-lint',
      '--override',
      'staging-first',
      '--reason',
      'A reason',
      '--reason',
      'B reason',
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('PRODGUARD_OVERRIDE_REASON_AMBIGUOUS');
  });
});

describe('migrate status with an environment that has no database', () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await createDbProject();
    p.write(
      'prodguard.yaml',
      `version: 1
project:
  name: db-test
freeze:
  weekdays: []
database:
  migrations: prisma/migrations
environments:
  local:
    database:
      urlEnv: DATABASE_URL_LOCAL
  preview: {}
  staging:
    protected: true
    database:
      urlEnv: DATABASE_URL_STAGING
`,
    );
    p.migration('20260101000000_users', USERS_UP, USERS_DOWN);
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('reports it as not configured and exits by the others', async () => {
    expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
    expect((await p.cli(['migrate', 'deploy', 'staging'])).exitCode).toBe(0);
    const r = await p.cli(['migrate', 'status', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const matrix = JSON.parse(r.stdout);
    expect(matrix.cells['20260101000000_users']).toEqual({
      local: 'applied',
      preview: 'not-configured',
      staging: 'applied',
    });
    expect(matrix.environments.find((e: { environment: string }) => e.environment === 'preview')).toEqual({
      environment: 'preview',
      notConfigured: true,
    });
    const human = await p.cli(['migrate', 'status']);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toContain('- preview: not configured (no environments.preview.database)');
    p.migration('20260102000000_posts', 'CREATE TABLE "Post" ("id" INT);\n');
    expect((await p.cli(['migrate', 'status'])).exitCode).toBe(1);
  });
});
