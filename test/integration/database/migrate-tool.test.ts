import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.js';
import { createDbProject, DATABASE_ENVIRONMENTS, type DbProject } from './project.js';

const REPO_MODULES = fileURLToPath(new URL('../../../node_modules', import.meta.url));

interface AuditEvent {
  action: string;
  target?: string;
  outcome: string;
  details?: Record<string, unknown>;
}

async function audit(p: DbProject, env: string): Promise<AuditEvent[]> {
  return JSON.parse((await p.cli(['audit', 'log', '--env', env, '--json'])).stdout).events;
}

/** A project migrated by its own tool: the real knex / node-pg-migrate binaries, on real PostgreSQL. */
async function toolProject(tool: string): Promise<DbProject> {
  const p = await createDbProject();
  p.write(
    'prodguard.yaml',
    `version: 1
project:
  name: tool-test
freeze:
  weekdays: []
database:
  migrations:
    tool: ${tool}
    dir: migrations
  lockTimeout: 3s
${DATABASE_ENVIRONMENTS}`,
  );
  symlinkSync(REPO_MODULES, join(p.dir, 'node_modules'), 'dir');
  return p;
}

describe.each([
  {
    tool: 'knex',
    table: 'knex_migrations',
    files: {
      'knexfile.js':
        "module.exports = { client: 'pg', connection: process.env.DATABASE_URL, migrations: { directory: './migrations' } };\n",
      'migrations/20260101000000_users.js':
        "exports.up = (knex) => knex.schema.createTable('users', (t) => { t.bigIncrements('id'); t.text('email').notNullable(); });\nexports.down = (knex) => knex.schema.dropTable('users');\n",
    },
    first: '20260101000000_users.js',
    second: [
      'migrations/20260102000000_posts.js',
      "exports.up = (knex) => knex.raw('SELECT pg_sleep(4)').then(() => knex.schema.createTable('posts', (t) => { t.bigIncrements('id'); }));\nexports.down = (knex) => knex.schema.dropTable('posts');\n",
    ],
    secondName: '20260102000000_posts.js',
    index: [
      'migrations/20260101500000_email_idx.js',
      '20260101500000_email_idx.js',
      "exports.up = (knex) => knex.schema.alterTable('users', (t) => { t.index(['email'], 'users_email_idx'); });\nexports.down = (knex) => knex.schema.alterTable('users', (t) => { t.dropIndex(['email'], 'users_email_idx'); });\n",
    ],
  },
  {
    tool: 'node-pg-migrate',
    table: 'pgmigrations',
    files: {
      'migrations/1767225600000_users.js':
        "exports.up = (pgm) => { pgm.createTable('users', { id: 'id', email: { type: 'text', notNull: true } }); };\nexports.down = (pgm) => { pgm.dropTable('users'); };\n",
    },
    first: '1767225600000_users',
    second: [
      'migrations/1767312000000_posts.js',
      "exports.up = (pgm) => { pgm.sql('SELECT pg_sleep(4)'); pgm.createTable('posts', { id: 'id' }); };\nexports.down = (pgm) => { pgm.dropTable('posts'); };\n",
    ],
    secondName: '1767312000000_posts',
    index: [
      'migrations/1767268800000_email_idx.js',
      '1767268800000_email_idx',
      "exports.up = (pgm) => { pgm.createIndex('users', 'email'); };\nexports.down = (pgm) => { pgm.dropIndex('users', 'email'); };\n",
    ],
  },
])(
  '$tool under prodguard (real tool, real PostgreSQL)',
  ({ tool, table, files, first: firstName, second, secondName, index }) => {
    let p: DbProject;
    beforeAll(async () => {
      p = await toolProject(tool);
      for (const [path, content] of Object.entries(files)) p.write(path, content);
    });
    afterAll(async () => {
      await p?.cleanup();
    });

    it('status reads pending / applied from the tool table; staging before local is refused', async () => {
      const status = await p.cli(['migrate', 'status', '--json']);
      expect(status.exitCode, status.stderr).toBe(1);
      expect(JSON.parse(status.stdout).cells[firstName]).toEqual({
        local: 'pending',
        staging: 'pending',
        production: 'pending',
      });
      const refused = await p.cli(['migrate', 'deploy', 'staging']);
      expect(refused.exitCode, refused.stdout + refused.stderr).toBe(1);
      expect(refused.stdout).toContain(`✗ staging-first: not applied on local yet (${table}): ${firstName}`);
      expect((await audit(p, 'staging')).at(-1)).toMatchObject({
        action: 'migrate.deploy',
        outcome: 'refused',
      });
    });

    it('applies with the tool in order local → staging → production, with a verified backup before production', async () => {
      const local = await p.cli(['migrate', 'deploy', 'local']);
      console.log(`prodguard migrate deploy local (${tool}):\n${local.stdout}`);
      expect(local.exitCode, local.stdout + local.stderr).toBe(0);
      expect(local.stdout).toContain(`1 ${tool} migration(s) applied to local: ${firstName}`);
      expect(local.stdout).not.toContain(p.dbs.local.url);
      const rows = await p.query<{ name: string }>('local', `SELECT name FROM ${table}`);
      expect(rows.map((r) => r.name)).toEqual([firstName]);
      expect((await p.cli(['migrate', 'deploy', 'staging'])).exitCode).toBe(0);
      const prod = await p.cli(['migrate', 'deploy', 'production']);
      console.log(`prodguard migrate deploy production (${tool}):\n${prod.stdout}${prod.stderr}`);
      expect(prod.exitCode, prod.stdout + prod.stderr).toBe(0);
      expect(prod.stdout).toMatch(/✓ migration-backup: backup #\d+ taken and read back/);
      expect(await p.query('production', "SELECT to_regclass('users')::text AS t")).toEqual([{ t: 'users' }]);
      const events = await audit(p, 'production');
      expect(events.filter((e) => e.action === 'migrate.deploy').map((e) => e.outcome)).toEqual([
        'started',
        'success',
      ]);
      const status = await p.cli(['migrate', 'status']);
      console.log(`prodguard migrate status (${tool}):\n${status.stdout}`);
      expect(status.exitCode).toBe(0);
    });

    it('lints what the tool would run before the final environment, where the SQL can be read', async () => {
      p.write(index[0]!, index[2]!);
      expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
      expect((await p.cli(['migrate', 'deploy', 'staging'])).exitCode).toBe(0);
      const prod = await p.cli(['migrate', 'deploy', 'production']);
      console.log(`prodguard migrate deploy production, a pending index (${tool}):\n${prod.stdout}`);
      if (tool === 'node-pg-migrate') {
        // its --dry-run prints the SQL: CREATE INDEX without CONCURRENTLY is refused
        expect(prod.exitCode, prod.stdout + prod.stderr).toBe(1);
        expect(prod.stdout).toMatch(
          /✗ migration-lint: 1 unresolved dangerous statement\(s\): node-pg-migrate --dry-run:\d+ require-concurrent-index-creation/,
        );
      } else {
        // knex has no SQL dry run for JavaScript migrations: said, not pretended
        expect(prod.exitCode, prod.stdout + prod.stderr).toBe(0);
        expect(prod.stdout).toContain('knex has no SQL dry run for JavaScript migrations: not linted');
      }
    });

    it('respects a freeze, and holds the environment lock while the tool runs', async () => {
      p.write(second[0]!, second[1]!);
      expect(
        (await p.cli(['freeze', 'on', '--env', 'local', '--until', '1h', '--reason', 'INC-9'])).exitCode,
      ).toBe(0);
      const frozen = await p.cli(['migrate', 'deploy', 'local']);
      expect(frozen.exitCode, frozen.stdout + frozen.stderr).toBe(1);
      expect(frozen.stdout).toContain('✗ deploy-freeze');
      expect((await p.cli(['freeze', 'off', '--env', 'local', '--reason', 'resolved'])).exitCode).toBe(0);

      const running = p.cli(['migrate', 'deploy', 'local']);
      await waitFor(
        'migrate deploy local to hold the lock',
        async () => JSON.parse((await p.cli(['lock', 'status', '--json'])).stdout).locks.length > 0,
        { timeoutMs: 30_000 },
      );
      const blocked = await p.cli(['migrate', 'deploy', 'local']);
      expect(blocked.exitCode).toBe(1);
      expect(blocked.stderr).toContain('PRODGUARD_LOCK_HELD');
      const done = await running;
      expect(done.exitCode, done.stdout + done.stderr).toBe(0);
      expect(done.stdout).toContain(secondName);
      const names = (await p.query<{ name: string }>('local', `SELECT name FROM ${table} ORDER BY id`)).map(
        (r) => r.name,
      );
      expect(names).toEqual([firstName, index[1], secondName]);
    });
  },
);

describe('tool: command (any migration command, e.g. drizzle-kit migrate)', () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await toolProject('command');
    const yaml = readFileSync(join(p.dir, 'prodguard.yaml'), 'utf8').replace(
      '    dir: migrations\n',
      '    dir: migrations\n    command: [node, migrate.cjs]\n',
    );
    p.write('prodguard.yaml', yaml);
    p.write(
      'migrate.cjs',
      "const pg = require('pg');\nconst c = new pg.Client({ connectionString: process.env.DATABASE_URL });\nc.connect().then(() => c.query(process.env.FAIL ? 'SELECT nope' : 'CREATE TABLE IF NOT EXISTS drizzled (id INT)')).then(() => { console.log('migrated with ' + process.env.DATABASE_URL); return c.end(); }, (e) => { console.error(e.message); process.exit(1); });\n",
    );
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it('runs the command with DATABASE_URL (masked in its output), says what it cannot check, and audits it', async () => {
    const local = await p.cli(['migrate', 'deploy', 'local']);
    expect(local.exitCode, local.stdout + local.stderr).toBe(0);
    expect(local.stdout).toContain('command| migrated with [redacted]');
    expect(local.stdout).not.toContain(p.dbs.local.url);
    expect(await p.query('local', "SELECT to_regclass('drizzled')::text AS t")).toEqual([{ t: 'drizzled' }]);
    const staging = await p.cli(['migrate', 'deploy', 'staging']);
    expect(staging.exitCode, staging.stdout + staging.stderr).toBe(0);
    expect(staging.stdout).toContain(
      "staging-first: a command tool's migrations cannot be listed by prodguard",
    );
    expect(staging.stdout).toContain('✓ the migration command ran on staging');
    const prod = await p.cli(['migrate', 'deploy', 'production']);
    expect(prod.exitCode, prod.stdout + prod.stderr).toBe(0);
    expect(prod.stdout).toContain('migration-lint: no dryRun command configured: the SQL is not linted');
    expect(prod.stdout).toMatch(/✓ migration-backup: backup #\d+ taken and read back/);
    const events = await audit(p, 'staging');
    expect(events.filter((e) => e.action === 'migrate.deploy').map((e) => e.outcome)).toEqual([
      'started',
      'success',
    ]);
  });
});
