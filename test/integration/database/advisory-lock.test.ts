import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRISMA_ADVISORY_LOCK_KEY } from '../../../src/database/index.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { openWorkspace } from '../../../src/workspace/index.js';
import { createDbProject, type DbProject, deployPrismaLocal } from './project.js';

describe("Prisma's advisory lock", () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await createDbProject();
    p.migration('20260101000000_t', 'CREATE TABLE "T" ("id" BIGSERIAL PRIMARY KEY);\n');
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('waits for a concurrent `prisma migrate deploy` holding 72707369, then refuses naming it; applies once free', async () => {
    const prisma = new pg.Client({
      connectionString: p.dbs.local.url,
      application_name: 'prisma-migrate-deploy',
    });
    await prisma.connect();
    await prisma.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
    const clock = new ManualClock('2026-03-03T10:00:00Z');
    const ws = openWorkspace({ cwd: p.dir, env: p.env, clock });
    try {
      const deploy = () => deployPrismaLocal(p, ws, clock);
      await expect(deploy()).rejects.toMatchObject({
        code: 'PRODGUARD_MIGRATE_LOCKED',
        message: expect.stringContaining('application "prisma-migrate-deploy"'),
      });
      expect(await p.query('local', 'SELECT to_regclass(\'"T"\') AS t')).toEqual([{ t: null }]);
      expect(ws.audit.list().at(-1)).toMatchObject({ action: 'migrate.deploy', outcome: 'refused' });
      await prisma.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
      const result = await deploy();
      expect(result.applied).toEqual(['20260101000000_t']);
    } finally {
      ws.close();
      await prisma.end();
    }
  });

  it('names the holder in its own database, not a run holding the same key in another database of the server', async () => {
    // staging and production live on the same server as local (one embedded PostgreSQL for the tests)
    const elsewhere = await Promise.all(
      (['staging', 'production'] as const).map(async (env) => {
        const client = new pg.Client({ connectionString: p.dbs[env].url, application_name: `${env}-deploy` });
        await client.connect();
        await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
        return client;
      }),
    );
    p.migration('20260102000000_u', 'CREATE TABLE "U" ("id" BIGSERIAL PRIMARY KEY);\n');
    const local = new pg.Client({ connectionString: p.dbs.local.url, application_name: 'local-deploy' });
    await local.connect();
    await local.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
    const clock = new ManualClock('2026-03-03T10:00:00Z');
    const ws = openWorkspace({ cwd: p.dir, env: p.env, clock });
    try {
      const error = await deployPrismaLocal(p, ws, clock).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'PRODGUARD_MIGRATE_LOCKED' });
      const { message } = error as Error;
      expect(message).toContain('application "local-deploy"');
      expect(message).not.toMatch(/staging-deploy|production-deploy/);
    } finally {
      ws.close();
      await Promise.all([local, ...elsewhere].map((c) => c.end()));
    }
  });
});
