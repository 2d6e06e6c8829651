import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationStore } from '../../../src/operations/index.js';
import { openWorkspace } from '../../../src/workspace/index.js';
import { createDbProject, DATABASE_ENVIRONMENTS, type DbProject } from './project.js';

describe('a plain SQL folder (Flyway-style V1__name.sql) applied by prodguard itself', () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await createDbProject();
    const config = `version: 1
project:
  name: sql-folder-test
freeze:
  weekdays: []
database:
  migrations:
    tool: sql-folder
    dir: sql
  lockTimeout: 3s
${DATABASE_ENVIRONMENTS}`;
    p.write('prodguard.yaml', config);
    p.write('sql/V1__users.sql', 'CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);\n');
    p.write('sql/V2__posts.sql', 'CREATE TABLE posts (id BIGSERIAL PRIMARY KEY, title TEXT NOT NULL);\n');
    // V10 sorts after V2 by version, not by name
    p.write('sql/V10__tags.sql', 'CREATE TABLE tags (id BIGSERIAL PRIMARY KEY);\n');
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('applies each file in its own transaction, in version order, with a checksum in its history table', async () => {
    const r = await p.cli(['migrate', 'deploy', 'local']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(
      '3 sql-folder migration(s) applied to local: V1__users.sql, V2__posts.sql, V10__tags.sql',
    );
    const rows = await p.query<{ name: string; checksum: string; ok: boolean }>(
      'local',
      'SELECT name, checksum, finished_at >= started_at AS ok FROM prodguard_sql_migrations ORDER BY installed_rank',
    );
    expect(rows.map((x) => x.name)).toEqual(['V1__users.sql', 'V2__posts.sql', 'V10__tags.sql']);
    expect(rows.every((x) => x.ok && /^[0-9a-f]{64}$/.test(x.checksum))).toBe(true);
  });

  it('a failing file rolls back alone and stops the run (exit 3); the files before it stay applied', async () => {
    p.write('sql/V11__good.sql', 'CREATE TABLE good (id INT);\n');
    p.write('sql/V12__bad.sql', 'CREATE TABLE half (id INT);\nSELECT no_such_column FROM good;\n');
    const r = await p.cli(['migrate', 'deploy', 'local']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toContain('V12__bad.sql');
    expect(
      await p.query('local', "SELECT to_regclass('good')::text AS g, to_regclass('half')::text AS h"),
    ).toEqual([{ g: 'good', h: null }]);
    p.write('sql/V12__bad.sql', 'CREATE TABLE half (id INT);\n');
    expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
  });

  it('lints the SQL before the final environment, and refuses an edited applied file on staging', async () => {
    expect((await p.cli(['migrate', 'deploy', 'staging'])).exitCode).toBe(0);
    p.write('sql/V13__index.sql', 'CREATE INDEX posts_title_idx ON posts (title);\n');
    expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
    expect((await p.cli(['migrate', 'deploy', 'staging'])).exitCode).toBe(0);
    const prod = await p.cli(['migrate', 'deploy', 'production']);
    expect(prod.exitCode, prod.stdout + prod.stderr).toBe(1);
    expect(prod.stdout).toMatch(
      /✗ migration-lint: 1 unresolved dangerous statement\(s\): .*V13__index\.sql:1 require-concurrent-index-creation/,
    );

    p.write(
      'sql/V1__users.sql',
      'CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email VARCHAR(200) NOT NULL);\n',
    );
    p.write('sql/V14__more.sql', 'CREATE TABLE more (id INT);\n');
    const local = await p.cli(['migrate', 'deploy', 'local']);
    expect(local.exitCode, local.stdout).toBe(0);
    expect(local.stdout).toContain('edited V1__users.sql');
    const staging = await p.cli(['migrate', 'deploy', 'staging']);
    expect(staging.exitCode).toBe(1);
    expect(staging.stdout).toContain('V1__users.sql (edited after it was applied)');
    const status = JSON.parse((await p.cli(['migrate', 'status', '--json'])).stdout);
    expect(status.cells['V1__users.sql']).toEqual({
      local: 'edited',
      staging: 'edited',
      production: 'pending',
    });
    expect(status.cells['V14__more.sql']).toEqual({
      local: 'applied',
      staging: 'pending',
      production: 'pending',
    });
  });

  it('a migrate-tool operation cut off before its step is listed as interrupted; resume applies it, abort ends another', async () => {
    p.write('sql/V1__users.sql', 'CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);\n');
    p.write('sql/V20__crash.sql', 'CREATE TABLE crash (id INT);\n');
    // What a crash right after the intent leaves: the operation row and its audit intent, no step, no lock.
    const interrupted = (pending: string[]) => {
      const ws = openWorkspace({ cwd: p.dir, env: { ...process.env, ...p.env } });
      try {
        return new OperationStore(ws.store, ws.clock, ws.audit).begin({
          kind: 'migrate-tool',
          environment: 'local',
          actor: 'tester@example.com',
          params: { tool: 'sql-folder', pending },
          state: {},
          subject: `sql-folder: ${pending.join(', ')}`,
          audit: { action: 'migrate.deploy', target: pending.join(', ') },
        }).op.id;
      } finally {
        ws.close();
      }
    };
    const id = interrupted(['V20__crash.sql']);
    const refused = await p.cli(['migrate', 'deploy', 'local']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain(id);
    const ops = JSON.parse((await p.cli(['operations', '--json'])).stdout);
    expect(JSON.stringify(ops)).toContain('"interrupted"');
    const resumed = await p.cli(['resume', id]);
    expect(resumed.exitCode, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('1 sql-folder migration(s) applied on local');
    expect(await p.query('local', "SELECT to_regclass('crash')::text AS t")).toEqual([{ t: 'crash' }]);

    const second = interrupted(['V21__never.sql']);
    const aborted = await p.cli(['abort', second]);
    expect(aborted.exitCode, aborted.stdout + aborted.stderr).toBe(0);
    expect(aborted.stdout).toContain('each file ran in its own transaction');
    expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
  });
});
