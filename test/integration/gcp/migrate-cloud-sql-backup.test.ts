import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kernel/clock.js';
import { FakeGcp } from '../../fakes/gcp/index.js';
import { runProdguard } from '../../helpers/cli.js';
import { createDbProject, DATABASE_ENVIRONMENTS, type DbProject } from '../database/project.js';
import { cloudRunPlatformYaml } from './cloud-run-yaml.js';

// `migrate deploy production` on a Cloud Run environment with platform.sqlInstance: the real CLI, a real
// PostgreSQL reached by a direct URL, and the Cloud SQL Admin API faked over loopback HTTP.
describe('migrate deploy takes an on-demand Cloud SQL backup first (real CLI, real PostgreSQL)', () => {
  let p: DbProject;
  let fake: FakeGcp;
  const clock = new ManualClock('2026-03-04T10:00:00Z');
  const cli = (args: string[]) =>
    runProdguard(args, {
      cwd: p.dir,
      env: { ...p.env, PRODGUARD_GCP_ENDPOINT: fake.url, PRODGUARD_GCP_TOKEN: 'fake-token' },
      timeoutMs: 120_000,
    });
  const backups = () => fake.sql.backupRuns.get('cvstomize-prod/api-db') ?? [];

  beforeAll(async () => {
    fake = await FakeGcp.start({ now: () => clock.now(), sqlOperationPolls: 1 });
    fake.sql.seedInstance('cvstomize-prod', 'api-db');
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
  shadowUrlEnv: SHADOW_URL
  lockTimeout: 3s
${DATABASE_ENVIRONMENTS}${cloudRunPlatformYaml({ sqlInstance: true })}`,
    );
    p.migration(
      '20260101000000_users',
      'CREATE TABLE "User" ("id" BIGSERIAL PRIMARY KEY);\n',
      'DROP TABLE "User";\n',
    );
    for (const env of ['local', 'staging']) {
      const r = await cli(['migrate', 'deploy', env]);
      expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    }
    const v = await cli(['migrate', 'verify-rollback', 'production']);
    expect(v.exitCode, v.stderr + v.stdout).toBe(0);
  }, 240_000);
  afterAll(async () => {
    await fake.close();
    await p.cleanup();
  });

  it('refuses production, migrating nothing, when the Cloud SQL backup ends FAILED', async () => {
    fake.sql.failNextBackup('Backup failed: instance is under maintenance.');
    const r = await cli(['migrate', 'deploy', 'production', '--json']);
    expect(r.exitCode, r.stderr).toBe(1);
    const result = JSON.parse(r.stdout);
    const verdict = result.evaluation.verdicts.find((v: { id: string }) => v.id === 'migration-backup');
    expect(verdict.status).toBe('fail');
    expect(verdict.message).toContain('api-db');
    expect(result.applied).toEqual([]);
    expect(backups().map((b) => b.status)).toEqual(['FAILED']);
    expect(await p.query('production', 'SELECT to_regclass(\'"User"\') AS t')).toEqual([{ t: null }]);
  }, 120_000);

  it('takes backupRuns.insert, waits for SUCCESSFUL, then migrates (no pg_dump)', async () => {
    const r = await cli(['migrate', 'deploy', 'production', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.applied).toEqual(['20260101000000_users']);
    expect(result.backup).toBeUndefined();
    expect(result.cloudSqlBackup).toMatchObject({ instance: 'api-db', status: 'SUCCESSFUL' });
    // The Admin API lists backup runs newest first.
    const runs = backups();
    expect(runs.map((b) => b.status)).toEqual(['SUCCESSFUL', 'FAILED']);
    expect(runs[0]).toMatchObject({ type: 'ON_DEMAND', id: result.cloudSqlBackup.backupRunId });
    const verdict = result.evaluation.verdicts.find((v: { id: string }) => v.id === 'migration-backup');
    expect(verdict).toMatchObject({ status: 'pass' });
    expect(verdict.message).toContain('SUCCESSFUL');
  }, 120_000);
});
