import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { readMigrationHistory, runMigrateDeploy } from '../../../src/database/index.js';
import type { Clock } from '../../../src/kernel/clock.js';
import type { Workspace } from '../../../src/workspace/index.js';
import { runProdguard } from '../../helpers/cli.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../../helpers/postgres.js';

/** prodguard.yaml's `environments:` for local → staging → production, each database URL read from DATABASE_URL_<ENV>. */
export const DATABASE_ENVIRONMENTS = `environments:
  local:
    database:
      urlEnv: DATABASE_URL_LOCAL
  staging:
    protected: true
    database:
      urlEnv: DATABASE_URL_STAGING
  production:
    requires: staging
    database:
      urlEnv: DATABASE_URL_PRODUCTION
`;

/** A temp project with prodguard.yaml: local → staging → production, each with its own real database. */
export interface DbProject {
  dir: string;
  dbs: Record<'local' | 'staging' | 'production', TestDatabase>;
  env: NodeJS.ProcessEnv;
  write(path: string, content: string): void;
  migration(name: string, up: string, down?: string): void;
  cli(args: string[], input?: string, extraEnv?: NodeJS.ProcessEnv): ReturnType<typeof runProdguard>;
  query<R extends Record<string, unknown>>(
    env: 'local' | 'staging' | 'production',
    sql: string,
    params?: unknown[],
  ): Promise<R[]>;
  cleanup(): Promise<void>;
}

export async function createDbProject(extraConfig = ''): Promise<DbProject> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'prodguard-db-')));
  const dbs = {
    local: await createTestDatabase('local'),
    staging: await createTestDatabase('staging'),
    production: await createTestDatabase('prod'),
  };
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  write(
    'prodguard.yaml',
    `version: 1
project:
  name: db-test
freeze:
  weekdays: [] # deterministic whatever the day the suite runs
database:
  migrations: prisma/migrations
  shadowUrlEnv: SHADOW_URL
  lockTimeout: 3s
${extraConfig}
${DATABASE_ENVIRONMENTS}`,
  );
  const env = {
    DATABASE_URL_LOCAL: dbs.local.url,
    DATABASE_URL_STAGING: dbs.staging.url,
    DATABASE_URL_PRODUCTION: dbs.production.url,
    SHADOW_URL: serverUrl(),
  };
  return {
    dir,
    dbs,
    env,
    write,
    migration(name, up, down) {
      write(`prisma/migrations/${name}/migration.sql`, up);
      if (down !== undefined) write(`prisma/migrations/${name}/down.sql`, down);
    },
    cli: (args, input, extraEnv) =>
      runProdguard(args, {
        cwd: dir,
        env: { ...env, ...extraEnv },
        ...(input !== undefined ? { input } : {}),
        timeoutMs: 120_000,
      }),
    async query(envName, sql, params) {
      const client = new pg.Client({ connectionString: dbs[envName].url });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    async cleanup() {
      for (const db of Object.values(dbs)) await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `migrate deploy local` of the project's Prisma history, in process, with the workspace's own parts. */
export function deployPrismaLocal(p: DbProject, ws: Workspace, clock: Clock) {
  return runMigrateDeploy(
    { environment: 'local', history: readMigrationHistory(join(p.dir, 'prisma/migrations')) },
    {
      config: ws.config,
      store: ws.store,
      audit: ws.audit,
      clock,
      processes: ws.processes,
      env: ws.env,
      cwd: p.dir,
      actor: 'tester@example.com',
    },
  );
}
