import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgSession, readSchemaSnapshot } from '../../../src/database/index.js';
import { runProdguard } from '../../helpers/cli.js';
import { createTestDatabase, postgresServer } from '../../helpers/postgres.js';
import { createDbProject, type DbProject } from './project.js';

describe('guarded SQL console and backups (real CLI, real PostgreSQL)', () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await createDbProject();
    for (const env of ['staging', 'production'] as const) {
      await p.query(
        env,
        'CREATE TABLE account (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE, balance INT NOT NULL DEFAULT 0)',
      );
      await p.query(
        env,
        "INSERT INTO account (email, balance) VALUES ('a@example.com', 10), ('b@example.com', 20)",
      );
    }
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('production reads need the read-only role: without its secret the console refuses, and never falls back to the URL', async () => {
    const r = await p.cli(['sql', 'production', '-c', 'SELECT email, balance FROM account ORDER BY id']);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('PRODGUARD_SQL_READONLY_MISSING');
    expect(r.stderr).toContain('`prodguard secrets setup-roles --env production`');
    // The superuser URL of the environment is refused for writes too (the attempt list is in sql-console.test.ts).
    const write = await p.cli(
      ['sql', 'production', '--write', 'refund ticket #42', '--yes'],
      "UPDATE account SET balance = 0 WHERE email = 'a@example.com';",
    );
    expect(write.exitCode, write.stderr).toBe(1);
    expect(write.stderr).toContain('PRODGUARD_SQL_ROLE_REFUSED');
    expect(write.stderr).toContain('is a superuser');
    expect(await p.query('production', "SELECT balance FROM account WHERE email = 'a@example.com'")).toEqual([
      { balance: 10 },
    ]);
  });

  it('always refuses DDL and password changes on production, pointing at the right path', async () => {
    const ddl = await p.cli([
      'sql',
      'production',
      '--write',
      'quick fix for the note',
      '--yes',
      '-c',
      'ALTER TABLE account ADD COLUMN note TEXT',
    ]);
    expect(ddl.exitCode, ddl.stderr).toBe(1);
    expect(ddl.stderr).toContain('statement 1 (AlterTableStmt): schema change by hand');
    expect(ddl.stderr).toContain('prodguard migrate new');
    const password = 'N3w-Sup3r-Secret-Passw0rd';
    const role = await p.cli(
      ['sql', 'production', '--write', 'rotate the password', '--yes'],
      `ALTER ROLE postgres PASSWORD '${password}';`,
    );
    expect(role.exitCode, role.stderr).toBe(1);
    expect(role.stderr).toContain('prodguard secrets rotate');
    const txEscape = await p.cli(['sql', 'production'], 'COMMIT; DELETE FROM account;');
    expect(txEscape.exitCode, txEscape.stderr).toBe(1);
    const log = (await p.cli(['audit', 'log', '--json'])).stdout;
    expect(log).not.toContain(password);
    expect(log).not.toContain(postgresServer().password);
    expect(
      await p.query(
        'production',
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'account'",
      ),
    ).toEqual([{ n: 3 }]);
    // staging is not the final environment: DDL by hand is allowed there (and audited)
    expect((await p.cli(['sql', 'staging', '-c', 'ALTER TABLE account ADD COLUMN note TEXT'])).exitCode).toBe(
      0,
    );
  });

  it('backs up with pg_dump, reads it back, records it, and restores it into a scratch database', async () => {
    const r = await p.cli(['db', 'backup', 'production', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const { backup, audit } = JSON.parse(r.stdout);
    expect(backup).toMatchObject({ id: 1, environment: 'production' });
    // written ahead: the intent before pg_dump, the outcome (with the head in --json) after
    const events = JSON.parse((await p.cli(['audit', 'log', '--json'])).stdout).events as {
      seq: number;
      action: string;
      outcome: string;
      target: string | null;
    }[];
    expect(events.slice(-2).map((e) => `${e.action} ${e.outcome} ${e.target}`)).toEqual([
      'db.backup started null',
      `db.backup success ${backup.path}`,
    ]);
    expect(audit).toEqual({ seq: events.at(-1)!.seq, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(backup.entries).toBeGreaterThan(3);
    // Backups hold every row: owner-only, in an owner-only folder, whatever the umask.
    expect(statSync(backup.path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(backup.path)).mode & 0o777).toBe(0o700);
    expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.stdout).not.toContain(postgresServer().password);
    const list = JSON.parse((await p.cli(['db', 'backups', '--json'])).stdout);
    expect(list.backups).toHaveLength(1);

    const scratch = await createTestDatabase('restore');
    try {
      const unset = await p.cli(['db', 'restore', String(backup.id), '--into', 'env:RESTORE_URL']);
      expect(unset.exitCode, unset.stderr).toBe(2);
      expect(unset.stderr).toContain('PRODGUARD_DB_RESTORE_TARGET');
      const intoProduction = await p.cli([
        'db',
        'restore',
        String(backup.id),
        '--into',
        'env:DATABASE_URL_STAGING',
      ]);
      expect(intoProduction.exitCode, intoProduction.stderr).toBe(1);
      expect(intoProduction.stderr).toContain('--into is the staging database');
      const env = { ...p.env, RESTORE_URL: scratch.url };
      const ok = await runProdguard(['db', 'restore', String(backup.id), '--into', 'env:RESTORE_URL'], {
        cwd: p.dir,
        env,
      });
      expect(ok.stderr).toBe('');
      expect(ok.exitCode, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(':[redacted]@');
      const a = await openPgSession(p.dbs.production.url);
      const b = await openPgSession(scratch.url);
      try {
        expect(await readSchemaSnapshot(b)).toEqual(await readSchemaSnapshot(a));
        const rows = 'SELECT email, balance FROM account ORDER BY id';
        expect((await b.query(rows)).rows).toEqual((await a.query(rows)).rows);
      } finally {
        await a.close();
        await b.close();
      }
      const again = await runProdguard(['db', 'restore', String(backup.id), '--into', 'env:RESTORE_URL'], {
        cwd: p.dir,
        env,
      });
      expect(again.exitCode, again.stderr).toBe(1);
      expect(again.stderr).toContain('already has 1 table(s)');
    } finally {
      await scratch.drop();
    }
  });

  it('never prints the password of an unreachable database', async () => {
    const password = 'Unreachable-Db-Passw0rd-77';
    const r = await runProdguard(['migrate', 'status', '--json'], {
      cwd: p.dir,
      env: { ...p.env, DATABASE_URL_PRODUCTION: `postgresql://app:${password}@127.0.0.1:1/prod` },
    });
    expect(r.exitCode! & 8).toBe(8);
    const matrix = JSON.parse(r.stdout);
    expect(matrix.environments[2].error).toContain(
      'Cannot connect to postgresql://app:[redacted]@127.0.0.1:1/prod',
    );
    const human = await runProdguard(['sql', 'staging', '-c', 'SELECT 1'], {
      cwd: p.dir,
      env: { ...p.env, DATABASE_URL_STAGING: `postgresql://app:${password}@127.0.0.1:1/prod` },
    });
    expect(human.exitCode, human.stderr).toBe(3);
    expect(`${r.stdout}${r.stderr}${human.stdout}${human.stderr}`).not.toContain(password);
  });

  it('refuses to run a history on top of an existing schema without _prisma_migrations (P3005), until baselined', async () => {
    p.migration(
      '20260101000000_account',
      'CREATE TABLE account (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE, balance INT NOT NULL DEFAULT 0);\n',
    );
    expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
    const r = await p.cli(['migrate', 'deploy', 'staging']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain('PRODGUARD_MIGRATE_NOT_BASELINED');
    expect(r.stderr).toContain('migrate resolve staging --applied <name>');
    expect(
      (await p.cli(['migrate', 'resolve', 'staging', '--applied', '20260101000000_account'])).exitCode,
    ).toBe(0);
    const status = JSON.parse((await p.cli(['migrate', 'status', '--env', 'staging', '--json'])).stdout);
    expect(status.cells['20260101000000_account'].staging).toBe('applied');
  });
});
