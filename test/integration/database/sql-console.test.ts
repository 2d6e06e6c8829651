import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventInput, AuditLog } from '../../../src/audit/index.js';
import { runSqlSession, type SqlSessionOptions, type SqlWriteSummary } from '../../../src/database/index.js';
import { systemClock } from '../../../src/kernel/clock.js';
import { nodeProcessRunner } from '../../../src/kernel/process-runner.js';
import { PRODGUARD_BIN, runProdguard } from '../../helpers/cli.js';
import { serverUrl } from '../../helpers/postgres.js';
import { createDbProject, type DbProject } from './project.js';

/**
 * The production console against real attempts to write or escape, on real PostgreSQL. Every attempt must be
 * refused, and the server must be unchanged afterwards: large objects, rows, sequences, schema, roles,
 * settings, a victim backend, files on the host, notifications.
 */

interface Attempt {
  id: string;
  sql: string;
  /** The refusal tag expected first (kind:…, function:…, operator:…). */
  tag: string;
  /** Also tried with --write "<reason>" as the app role (must still be refused, unless tag is kind:write). */
  withWrite?: boolean;
}

type Audited = AuditEventInput & { details?: Record<string, unknown> };

describe('production SQL console: allowlist (real PostgreSQL)', () => {
  let p: DbProject;
  let group: string;
  let readonlyUrl: string;
  let appUrl: string;
  let superUrl: string;
  let victim: pg.Client;
  let victimPid: number;
  let listener: pg.Client;
  const notifications: string[] = [];
  const audit: Audited[] = [];
  const auditLog = {
    append: (event: AuditEventInput) => {
      audit.push(event as Audited);
      return event as unknown as ReturnType<AuditLog['append']>;
    },
  };
  const verdicts: { id: string; sql: string; ro: string; admin: string; write: string }[] = [];

  const snapshot = async () => {
    const [row] = await p.query<Record<string, unknown>>(
      'production',
      `SELECT (SELECT count(*) FROM pg_largeobject_metadata)::int AS large_objects,
        (SELECT md5(string_agg(id || ':' || email || ':' || balance, ',' ORDER BY id)) FROM account) AS accounts,
        (SELECT last_value::text FROM account_id_seq) AS seq,
        (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname IN ('public', 'app'))::int AS relations,
        (SELECT count(*) FROM pg_attribute WHERE attrelid = 'account'::regclass AND attnum > 0
          AND NOT attisdropped)::int AS account_columns,
        (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname IN ('public', 'app'))::int AS functions,
        (SELECT count(*) FROM pg_stat_activity WHERE pid = $1)::int AS victim_alive,
        (SELECT coalesce(string_agg(array_to_string(setconfig, ';'), '|' ORDER BY setrole, setdatabase), '')
          FROM pg_db_role_setting s WHERE s.setrole = 0 OR s.setrole IN (SELECT oid FROM pg_roles WHERE rolname ~ $2))
          AS role_settings,
        (SELECT count(*) FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf')::int AS auto_conf,
        (SELECT string_agg(rolname || ':' || rolsuper || rolcreaterole || rolcreatedb || rolbypassrls, ','
          ORDER BY rolname) FROM pg_roles WHERE rolname ~ $2) AS roles,
        (SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member OR r.oid = m.roleid
          WHERE r.rolname ~ $2)::int AS memberships,
        (SELECT string_agg(coalesce(array_to_string(relacl, ','), ''), '|' ORDER BY relname) FROM pg_class
          WHERE relname IN ('account', 'payment', 'totals')) AS acl,
        (SELECT count(*) FROM pg_extension)::int AS extensions,
        (SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database())::int AS prepared,
        (SELECT count(*) FROM pg_replication_slots)::int AS slots,
        (SELECT ispopulated FROM pg_matviews WHERE matviewname = 'totals') AS matview,
        (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))::int AS advisory_locks,
        (SELECT setting FROM pg_settings WHERE name = 'work_mem') AS work_mem`,
      // Roles are cluster-wide and other test files create their own at the same time: only this test's
      // group, the predefined roles and the superuser are compared.
      [victimPid, `^(${group}|pg_|postgres$)`],
    );
    return row!;
  };

  const core = (
    options: Partial<SqlSessionOptions> & { sql: string },
    confirm?: (s: SqlWriteSummary) => Promise<boolean>,
  ) =>
    runSqlSession(
      {
        environment: 'production',
        url: appUrl,
        readonlyUrl,
        final: true,
        statementTimeoutMs: 10_000,
        consoleFunctions: ['app.slugify'],
        ...options,
      },
      { clock: systemClock, audit: auditLog, actor: 'tester@example.com', ...(confirm ? { confirm } : {}) },
    );

  /** Runs one attempt and returns the refusal's code and first tag, or 'RAN' when it was not refused. */
  const attempt = async (options: Partial<SqlSessionOptions> & { sql: string }): Promise<string> => {
    try {
      await core(options, async () => true);
      return 'RAN';
    } catch (error) {
      const e = error as { code?: string; details?: { refusals?: { tag: string }[] } };
      return e.details?.refusals?.[0]?.tag ? `${e.code} ${e.details.refusals[0].tag}` : String(e.code);
    }
  };

  beforeAll(async () => {
    group = `c${randomBytes(4).toString('hex')}`;
    p = await createDbProject(`  consoleFunctions: [app.slugify]\nsecrets:\n  groupRole: ${group}\n`);
    superUrl = p.dbs.production.url;
    await p.query(
      'production',
      `CREATE TABLE account (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE, balance INT NOT NULL DEFAULT 0,
         profile JSONB NOT NULL DEFAULT '{}');
       CREATE TABLE payment (id BIGSERIAL PRIMARY KEY, account_id BIGINT NOT NULL REFERENCES account,
         amount INT NOT NULL, at TIMESTAMPTZ NOT NULL);
       INSERT INTO account (email, balance, profile) VALUES ('a@example.com', 10, '{"plan":"pro","tags":["x"]}'),
         ('b@example.com', 20, '{"plan":"free"}'), ('c@example.com', 30, '{"plan":"pro"}');
       INSERT INTO payment (account_id, amount, at) VALUES (1, 5, '2026-01-01T10:00:00Z'), (1, 7, '2026-01-02T10:00:00Z'),
         (2, 11, '2026-01-01T12:00:00Z');
       CREATE SCHEMA app;
       CREATE FUNCTION app.slugify(t text) RETURNS text LANGUAGE sql IMMUTABLE
         AS $$ SELECT lower(regexp_replace(t, '[^a-zA-Z0-9]+', '-', 'g')) $$;
       CREATE FUNCTION app.wipe() RETURNS bigint LANGUAGE sql
         AS $$ WITH d AS (DELETE FROM public.account RETURNING 1) SELECT count(*) FROM d $$;
       CREATE PROCEDURE app.proc() LANGUAGE sql AS $$ DELETE FROM public.payment $$;
       CREATE FUNCTION app.eq3(int, int) RETURNS bool LANGUAGE sql AS $$ SELECT $1 = $2 $$;
       CREATE OPERATOR app.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = app.eq3);
       CREATE MATERIALIZED VIEW app.totals AS SELECT count(*) AS n FROM account WITH NO DATA;`,
    );
    const admin = await p.cli(
      ['secrets', 'add', 'DATABASE_URL_ADMIN', '--env', 'production', '--kind', 'external'],
      superUrl,
    );
    expect(admin.exitCode, admin.stderr).toBe(0);
    const setup = await p.cli(['secrets', 'setup-roles', '--env', 'production']);
    expect(setup.exitCode, setup.stderr).toBe(0);
    expect(setup.stdout).toContain(
      `Read-only role ${group}_readonly for \`prodguard sql\` (created); added and pinned DATABASE_URL_READONLY v1 (production)`,
    );
    const reveal = async (name: string) =>
      (await p.cli(['secrets', 'get', name, '--env', 'production', '--reveal'])).stdout.trim();
    readonlyUrl = await reveal('DATABASE_URL_READONLY');
    appUrl = await reveal('DATABASE_URL');
    expect(new URL(readonlyUrl).username).toBe(`${group}_readonly`);
    // The application role can write the tables (what a migration would grant it).
    await p.query(
      'production',
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${group};
       GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${group}; GRANT USAGE ON SCHEMA app TO ${group};`,
    );
    victim = new pg.Client({ connectionString: superUrl, application_name: 'victim' });
    await victim.connect();
    victim.on('error', () => {});
    victimPid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    listener = new pg.Client({ connectionString: superUrl });
    await listener.connect();
    listener.on('notification', (n) => notifications.push(`${n.channel}:${n.payload}`));
    await listener.query('LISTEN ch');
  });

  afterAll(async () => {
    await victim?.end().catch(() => {});
    await listener?.end().catch(() => {});
    await p?.cleanup();
    const client = new pg.Client({ connectionString: serverUrl() });
    await client.connect();
    for (const role of [`${group}_readonly`, `${group}_sneaky`, `${group}_a`, `${group}_b`, group])
      await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(role)}`).catch(() => {});
    await client.end();
  });

  it('the read-only role is read-only on its own: no write privileges, read-only by default, no elevated attributes', async () => {
    const ro = new pg.Client({ connectionString: readonlyUrl });
    await ro.connect();
    try {
      const facts = await ro.query(
        `SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, r.rolinherit,
           current_setting('default_transaction_read_only') AS dtro,
           (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS memberships,
           has_table_privilege('account', 'SELECT') AS can_select, has_table_privilege('app.totals', 'SELECT') AS can_select_matview,
           has_table_privilege('account', 'INSERT, UPDATE, DELETE, TRUNCATE') AS can_write,
           has_sequence_privilege('account_id_seq', 'USAGE, UPDATE') AS can_nextval
         FROM pg_roles r WHERE r.rolname = current_user`,
      );
      expect(facts.rows[0]).toEqual({
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolbypassrls: false,
        rolinherit: false,
        dtro: 'on',
        memberships: 0,
        can_select: true,
        can_select_matview: true,
        can_write: false,
        can_nextval: false,
      });
      // Behind the console's own checks, the server refuses too.
      for (const sql of [
        'SELECT lo_create(0)',
        "SELECT lo_from_bytea(0, '\\x41')",
        "SELECT nextval('account_id_seq')",
        'DELETE FROM account',
      ])
        await expect(ro.query(sql), sql).rejects.toMatchObject({
          code: expect.stringMatching(/^(25006|42501)$/),
        });
      await ro.query('SET default_transaction_read_only = off');
      await expect(ro.query('DELETE FROM account')).rejects.toMatchObject({ code: '42501' });
      await expect(ro.query(`SELECT pg_terminate_backend(${victimPid})`)).rejects.toMatchObject({
        code: '42501',
      });
    } finally {
      await ro.end();
    }
    // Privileges added by hand are taken back when setup-roles runs again; the password is kept.
    await p.query('production', `GRANT ${group} TO ${group}_readonly; ALTER ROLE ${group}_readonly CREATEDB`);
    expect(await attempt({ sql: 'SELECT 1' })).toBe('PRODGUARD_SQL_ROLE_REFUSED');
    const again = await p.cli(['secrets', 'setup-roles', '--env', 'production']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Read-only role ${group}_readonly for \`prodguard sql\`\n`);
    expect(
      await p.query(
        'production',
        `SELECT r.rolcreatedb, (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS memberships
         FROM pg_roles r WHERE r.rolname = $1`,
        [`${group}_readonly`],
      ),
    ).toEqual([{ rolcreatedb: false, memberships: 0 }]);
    expect(await attempt({ sql: 'SELECT 1' })).toBe('RAN');
    // Tables created later by the app's group are readable without running setup-roles again.
    const app = new pg.Client({ connectionString: appUrl });
    await app.connect();
    await app.query('CREATE TABLE later_table (id int)');
    await app.end();
    expect(await attempt({ sql: 'SELECT count(*) FROM later_table' })).toBe('RAN');
    await p.query('production', 'DROP TABLE later_table');
  });

  const ATTEMPTS: Attempt[] = [
    {
      id: 'lo_from_bytea (issue probe)',
      sql: "SELECT lo_from_bytea(0, '\\x41')",
      tag: 'function:lo_from_bytea',
      withWrite: true,
    },
    { id: 'lo_create (issue probe)', sql: 'SELECT lo_create(0)', tag: 'function:lo_create', withWrite: true },
    { id: 'lo_create, schema-qualified', sql: 'SELECT pg_catalog.lo_create(0)', tag: 'function:lo_create' },
    {
      id: 'lo_create in a subquery',
      sql: 'SELECT email FROM account WHERE id = (SELECT lo_create(0) - lo_create(0) + 1)',
      tag: 'function:lo_create',
    },
    {
      id: 'lo_create in a CTE',
      sql: 'WITH x AS (SELECT lo_create(0) AS o) SELECT * FROM x',
      tag: 'function:lo_create',
    },
    { id: 'lo_import from the host', sql: "SELECT lo_import('/etc/hostname')", tag: 'function:lo_import' },
    {
      id: 'lo_export to the host',
      sql: "SELECT lo_export(1, '/tmp/prodguard-lo-export')",
      tag: 'function:lo_export',
    },
    { id: 'lo_unlink', sql: 'SELECT lo_unlink(1)', tag: 'function:lo_unlink' },
    {
      id: 'pg_terminate_backend (issue probe)',
      sql: 'SELECT pg_terminate_backend(VICTIM)',
      tag: 'function:pg_terminate_backend',
      withWrite: true,
    },
    { id: 'pg_cancel_backend', sql: 'SELECT pg_cancel_backend(VICTIM)', tag: 'function:pg_cancel_backend' },
    { id: 'pg_notify (issue probe)', sql: "SELECT pg_notify('ch', 'escaped')", tag: 'function:pg_notify' },
    {
      id: 'set_config read-only off (issue probe)',
      sql: "SELECT set_config('default_transaction_read_only', 'off', false)",
      tag: 'function:set_config',
      withWrite: true,
    },
    {
      id: 'set_config in a WHERE clause',
      sql: "SELECT 1 FROM account WHERE set_config('work_mem', '1GB', false) IS NOT NULL",
      tag: 'function:set_config',
    },
    { id: 'pg_advisory_lock', sql: 'SELECT pg_advisory_lock(42)', tag: 'function:pg_advisory_lock' },
    {
      id: 'pg_try_advisory_xact_lock',
      sql: 'SELECT pg_try_advisory_xact_lock(42)',
      tag: 'function:pg_try_advisory_xact_lock',
    },
    { id: 'nextval', sql: "SELECT nextval('account_id_seq')", tag: 'function:nextval' },
    { id: 'setval', sql: "SELECT setval('account_id_seq', 1000)", tag: 'function:setval' },
    { id: 'pg_read_file', sql: "SELECT pg_read_file('PG_VERSION')", tag: 'function:pg_read_file' },
    { id: 'pg_ls_dir', sql: "SELECT pg_ls_dir('.')", tag: 'function:pg_ls_dir' },
    { id: 'pg_stat_file', sql: "SELECT pg_stat_file('postgresql.conf')", tag: 'function:pg_stat_file' },
    { id: 'pg_sleep (holds a snapshot)', sql: 'SELECT pg_sleep(30)', tag: 'function:pg_sleep' },
    { id: 'pg_reload_conf', sql: 'SELECT pg_reload_conf()', tag: 'function:pg_reload_conf' },
    { id: 'pg_rotate_logfile', sql: 'SELECT pg_rotate_logfile()', tag: 'function:pg_rotate_logfile' },
    { id: 'pg_switch_wal', sql: 'SELECT pg_switch_wal()', tag: 'function:pg_switch_wal' },
    {
      id: 'pg_create_restore_point',
      sql: "SELECT pg_create_restore_point('x')",
      tag: 'function:pg_create_restore_point',
    },
    {
      id: 'pg_create_physical_replication_slot',
      sql: "SELECT pg_create_physical_replication_slot('s')",
      tag: 'function:pg_create_physical_replication_slot',
    },
    { id: 'pg_promote', sql: 'SELECT pg_promote()', tag: 'function:pg_promote' },
    { id: 'pg_stat_reset', sql: 'SELECT pg_stat_reset()', tag: 'function:pg_stat_reset' },
    {
      id: 'query_to_xml runs SQL text',
      sql: "SELECT query_to_xml('SELECT app.wipe()', true, false, '')",
      tag: 'function:query_to_xml',
    },
    { id: 'txid_current assigns an xid', sql: 'SELECT txid_current()', tag: 'function:txid_current' },
    {
      id: 'dblink to run SQL elsewhere',
      sql: "SELECT * FROM dblink('dbname=postgres', 'SELECT 1') AS t(x int)",
      tag: 'function:dblink',
    },
    {
      id: 'own function with a DELETE inside',
      sql: 'SELECT app.wipe()',
      tag: 'function:app.wipe',
      withWrite: true,
    },
    { id: 'own function in FROM', sql: 'SELECT * FROM app.wipe()', tag: 'function:app.wipe' },
    { id: 'own operator (runs a function)', sql: 'SELECT 1 OPERATOR(app.===) 1', tag: 'operator:app.===' },
    {
      id: 'own operator in ANY (subquery)',
      sql: 'SELECT 1 OPERATOR(app.===) ANY (SELECT 1)',
      tag: 'operator:app.===',
    },
    {
      id: 'own operator in ORDER BY … USING',
      sql: 'SELECT id FROM account ORDER BY id USING OPERATOR(app.===)',
      tag: 'operator:app.===',
    },
    {
      id: 'lo_create hidden 800 calls deep',
      sql: `SELECT ${'abs('.repeat(800)}lo_create(0)${')'.repeat(800)}`,
      tag: 'depth:2000',
    },
    {
      id: 'data-modifying CTE',
      sql: 'WITH d AS (DELETE FROM account RETURNING *) SELECT count(*) FROM d',
      tag: 'kind:write',
    },
    { id: 'SELECT … FOR UPDATE', sql: 'SELECT * FROM account FOR UPDATE', tag: 'kind:write' },
    {
      id: 'SELECT INTO (creates a table)',
      sql: 'SELECT * INTO account_copy FROM account',
      tag: 'kind:ddl',
      withWrite: true,
    },
    {
      id: 'COMMIT; DELETE (issue probe)',
      sql: 'COMMIT; DELETE FROM account',
      tag: 'kind:transaction',
      withWrite: true,
    },
    { id: 'ROLLBACK; DELETE', sql: 'ROLLBACK; DELETE FROM account', tag: 'kind:transaction' },
    { id: 'BEGIN READ WRITE', sql: 'BEGIN READ WRITE', tag: 'kind:transaction' },
    { id: 'SAVEPOINT', sql: 'SAVEPOINT s', tag: 'kind:transaction' },
    { id: 'PREPARE TRANSACTION', sql: "PREPARE TRANSACTION 'x'", tag: 'kind:transaction' },
    { id: 'SET TRANSACTION READ WRITE', sql: 'SET TRANSACTION READ WRITE', tag: 'kind:transaction' },
    {
      id: 'SET SESSION CHARACTERISTICS',
      sql: 'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
      tag: 'kind:transaction',
    },
    {
      id: 'SET default_transaction_read_only',
      sql: 'SET default_transaction_read_only = off',
      tag: 'kind:session',
      withWrite: true,
    },
    {
      id: 'SET search_path (function resolution)',
      sql: 'SET search_path = app, pg_catalog',
      tag: 'kind:session',
    },
    { id: 'SET statement_timeout', sql: 'SET statement_timeout = 0', tag: 'kind:session' },
    { id: 'RESET ALL', sql: 'RESET ALL', tag: 'kind:session' },
    { id: 'DISCARD ALL', sql: 'DISCARD ALL', tag: 'kind:session' },
    { id: 'SET ROLE', sql: 'SET ROLE postgres', tag: 'kind:role' },
    { id: 'SET SESSION AUTHORIZATION', sql: 'SET SESSION AUTHORIZATION postgres', tag: 'kind:role' },
    { id: 'DO block', sql: 'DO $$ BEGIN DELETE FROM account; END $$', tag: 'kind:utility', withWrite: true },
    { id: 'CALL a procedure', sql: 'CALL app.proc()', tag: 'kind:utility', withWrite: true },
    { id: 'PREPARE / EXECUTE', sql: 'PREPARE p AS DELETE FROM account; EXECUTE p', tag: 'kind:utility' },
    { id: 'DECLARE CURSOR', sql: 'DECLARE c CURSOR FOR SELECT 1', tag: 'kind:utility' },
    { id: 'LISTEN', sql: 'LISTEN ch', tag: 'kind:utility' },
    { id: 'NOTIFY', sql: "NOTIFY ch, 'escaped'", tag: 'kind:utility', withWrite: true },
    {
      id: 'LOCK TABLE',
      sql: 'LOCK TABLE account IN ACCESS EXCLUSIVE MODE',
      tag: 'kind:utility',
      withWrite: true,
    },
    { id: 'VACUUM', sql: 'VACUUM account', tag: 'kind:utility' },
    { id: 'ANALYZE', sql: 'ANALYZE account', tag: 'kind:utility' },
    { id: 'CHECKPOINT', sql: 'CHECKPOINT', tag: 'kind:utility' },
    { id: 'LOAD a library', sql: "LOAD 'auto_explain'", tag: 'kind:utility' },
    { id: 'ALTER SYSTEM', sql: "ALTER SYSTEM SET work_mem = '1GB'", tag: 'kind:utility', withWrite: true },
    { id: 'REFRESH MATERIALIZED VIEW', sql: 'REFRESH MATERIALIZED VIEW app.totals', tag: 'kind:utility' },
    { id: 'CLUSTER', sql: 'CLUSTER account USING account_pkey', tag: 'kind:utility' },
    { id: 'REINDEX', sql: 'REINDEX TABLE account', tag: 'kind:utility' },
    {
      id: 'COPY TO PROGRAM (issue probe)',
      sql: "COPY (SELECT 1) TO PROGRAM 'touch PWNED'",
      tag: 'kind:copy',
      withWrite: true,
    },
    { id: 'COPY TO a server file', sql: "COPY account TO 'PWNED'", tag: 'kind:copy', withWrite: true },
    { id: 'COPY FROM a server file', sql: "COPY account FROM '/etc/hostname'", tag: 'kind:copy' },
    { id: 'COPY FROM STDIN', sql: 'COPY account FROM STDIN', tag: 'kind:copy', withWrite: true },
    { id: 'COPY TO STDOUT', sql: 'COPY account TO STDOUT', tag: 'kind:copy' },
    { id: 'CREATE TABLE', sql: 'CREATE TABLE t (a int)', tag: 'kind:ddl', withWrite: true },
    { id: 'CREATE TEMP TABLE', sql: 'CREATE TEMP TABLE t (a int)', tag: 'kind:ddl' },
    {
      id: 'CREATE FUNCTION',
      sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
      tag: 'kind:ddl',
    },
    { id: 'ALTER TABLE', sql: 'ALTER TABLE account ADD COLUMN note text', tag: 'kind:ddl', withWrite: true },
    { id: 'DROP TABLE', sql: 'DROP TABLE account', tag: 'kind:ddl', withWrite: true },
    { id: 'TRUNCATE', sql: 'TRUNCATE account CASCADE', tag: 'kind:ddl', withWrite: true },
    { id: 'CREATE EXTENSION', sql: 'CREATE EXTENSION dblink', tag: 'kind:ddl' },
    { id: 'COMMENT ON', sql: "COMMENT ON TABLE account IS 'x'", tag: 'kind:ddl' },
    { id: 'GRANT', sql: 'GRANT ALL ON account TO PUBLIC', tag: 'kind:role', withWrite: true },
    { id: 'REVOKE', sql: 'REVOKE SELECT ON account FROM PUBLIC', tag: 'kind:role' },
    {
      id: 'ALTER ROLE … PASSWORD',
      sql: "ALTER ROLE postgres PASSWORD 'N3w-Sup3r-Secret'",
      tag: 'kind:role',
      withWrite: true,
    },
    { id: 'ALTER ROLE … SUPERUSER', sql: 'ALTER ROLE CURRENT_USER SUPERUSER', tag: 'kind:role' },
    { id: 'CREATE ROLE', sql: 'CREATE ROLE intruder LOGIN SUPERUSER', tag: 'kind:role' },
    { id: 'EXPLAIN ANALYZE of a DELETE', sql: 'EXPLAIN ANALYZE DELETE FROM account', tag: 'kind:write' },
    {
      id: 'EXPLAIN (no ANALYZE) calling lo_create',
      sql: 'EXPLAIN SELECT lo_create(0)',
      tag: 'function:lo_create',
    },
    {
      id: 'INSERT without --write',
      sql: "INSERT INTO account (email) VALUES ('x@example.com')",
      tag: 'kind:write',
    },
    { id: 'UPDATE without --write', sql: 'UPDATE account SET balance = 0', tag: 'kind:write' },
    { id: 'DELETE without --write', sql: 'DELETE FROM account', tag: 'kind:write' },
    {
      id: 'MERGE without --write',
      sql: 'MERGE INTO account a USING (SELECT 1 AS id) s ON a.id = s.id WHEN MATCHED THEN DELETE',
      tag: 'kind:write',
    },
    { id: 'a write hidden after a read', sql: 'SELECT 1; UPDATE account SET balance = 0', tag: 'kind:write' },
    {
      id: 'a write then an escape, with --write',
      sql: 'UPDATE account SET balance = 0; SELECT pg_terminate_backend(VICTIM)',
      tag: 'kind:write',
      withWrite: true,
    },
  ];

  it(`refuses ${ATTEMPTS.length} attempted writes and escapes as the read-only role, an admin URL and --write; nothing changes`, async () => {
    const before = await snapshot();
    const file = join(p.dir, 'PWNED');
    for (const a of ATTEMPTS) {
      const sql = a.sql
        .replaceAll('VICTIM', String(victimPid))
        .replaceAll("'PWNED'", `'${file}'`)
        .replaceAll('touch PWNED', `touch ${file}`);
      const ro = await attempt({ sql });
      const admin = await attempt({ sql, readonlyUrl: superUrl, url: superUrl });
      const write = a.withWrite
        ? await attempt({ sql, write: { reason: 'attempt from the escape list' } })
        : '';
      expect(ro, `${a.id} as the read-only role`).toBe(`PRODGUARD_SQL_REFUSED ${a.tag}`);
      expect(admin, `${a.id} with an admin URL`).toBe(`PRODGUARD_SQL_REFUSED ${a.tag}`);
      if (a.withWrite) {
        const expected =
          a.tag === 'kind:write'
            ? expect.stringMatching(/^PRODGUARD_SQL_REFUSED (function|kind):/)
            : `PRODGUARD_SQL_REFUSED ${a.tag}`;
        expect(write, `${a.id} with --write`).toEqual(expected);
      }
      expect(await snapshot(), `${a.id} changed the server`).toEqual(before);
      expect(existsSync(file), `${a.id} created a file on the host`).toBe(false);
      verdicts.push({ id: a.id, sql: a.sql, ro, admin, write });
    }
    // Notifications arrive in order: our own marker comes through, nothing from the attempts came before it.
    await new Promise<void>((resolve) => {
      listener.on('notification', (n) => n.payload === 'marker' && resolve());
      void p.query('production', "NOTIFY ch, 'marker'");
    });
    expect(notifications).toEqual(['ch:marker']);
    // Each refusal is audited with tags and names, never the SQL text or its literals.
    const refused = audit.filter((e) => e.outcome === 'refused');
    expect(refused.length).toBeGreaterThanOrEqual(ATTEMPTS.length * 2);
    const text = JSON.stringify(audit);
    for (const literal of ['N3w-Sup3r-Secret', 'escaped', 'x@example.com', file])
      expect(text).not.toContain(literal);
    if (process.env.CONSOLE_ATTEMPTS_MD)
      writeFileSync(process.env.CONSOLE_ATTEMPTS_MD, renderTable(verdicts));
  });

  it('refuses superuser, elevated and writable roles before running anything, and a search_path that shadows pg_catalog', async () => {
    const before = await snapshot();
    const refusedAs = async (options: Partial<SqlSessionOptions>) => {
      try {
        await core({ sql: 'SELECT count(*) FROM account', ...options }, async () => true);
        return 'RAN';
      } catch (error) {
        return `${(error as { code: string }).code}: ${(error as Error).message}`;
      }
    };
    expect(await refusedAs({ readonlyUrl: superUrl })).toMatch(
      /PRODGUARD_SQL_ROLE_REFUSED: .*is a superuser/,
    );
    expect(await refusedAs({ url: superUrl, write: { reason: 'fix one account balance' } })).toMatch(
      /PRODGUARD_SQL_ROLE_REFUSED: .*is a superuser/,
    );
    // The app's own login reads through the read-only role, never itself.
    expect(await refusedAs({ readonlyUrl: appUrl })).toMatch(
      /PRODGUARD_SQL_ROLE_REFUSED: .*not read-only by default.*can write \d+ table/,
    );
    const sneaky = `${group}_sneaky`;
    const password = `S${randomBytes(12).toString('hex')}`;
    await p.query(
      'production',
      `CREATE ROLE ${sneaky} LOGIN CREATEROLE PASSWORD '${password}' IN ROLE pg_signal_backend;
       ALTER ROLE ${sneaky} SET default_transaction_read_only = on; GRANT SELECT ON account TO ${sneaky};`,
    );
    const sneakyUrl = new URL(superUrl);
    sneakyUrl.username = sneaky;
    sneakyUrl.password = password;
    expect(await refusedAs({ readonlyUrl: sneakyUrl.toString() })).toMatch(
      /PRODGUARD_SQL_ROLE_REFUSED: .*has CREATEROLE; .* is a member of pg_signal_backend/,
    );
    await p.query(
      'production',
      `ALTER ROLE ${sneaky} NOCREATEROLE; REVOKE pg_signal_backend FROM ${sneaky};
      ALTER ROLE ${sneaky} SET search_path = app, pg_catalog, public; GRANT USAGE ON SCHEMA app TO ${sneaky}`,
    );
    expect(await refusedAs({ readonlyUrl: sneakyUrl.toString() })).toMatch(
      /PRODGUARD_SQL_ROLE_REFUSED: .*search_path puts app before pg_catalog/,
    );
    await p.query(
      'production',
      `ALTER ROLE ${sneaky} RESET search_path; ALTER ROLE ${sneaky} SET standard_conforming_strings = off`,
    );
    // One string literal to libpg-query; to a server without standard strings, a string, then a call, then a comment.
    const smuggled = "SELECT 'x\\'', lo_create(0) --'";
    expect(await refusedAs({ readonlyUrl: sneakyUrl.toString(), sql: smuggled })).toMatch(
      /PRODGUARD_SQL_ROLE_REFUSED: .*standard_conforming_strings is off/,
    );
    await p.query('production', `ALTER ROLE ${sneaky} RESET standard_conforming_strings`);
    expect(await refusedAs({ readonlyUrl: sneakyUrl.toString() })).toBe('RAN');
    await p.query(
      'production',
      `REVOKE ALL ON account FROM ${sneaky}; REVOKE ALL ON SCHEMA app FROM ${sneaky}; DROP ROLE ${sneaky}`,
    );
    const { roles: _roles, memberships: _m, role_settings: _r, acl: _a, ...rest } = before;
    const after = await snapshot();
    expect({
      ...after,
      roles: undefined,
      memberships: undefined,
      role_settings: undefined,
      acl: undefined,
    }).toEqual({
      ...rest,
      roles: undefined,
      memberships: undefined,
      role_settings: undefined,
      acl: undefined,
    });
    expect(JSON.stringify(audit)).not.toContain(password);
  });

  it('reads: joins, aggregates, CTEs, window functions, JSON, EXPLAIN, SHOW, VALUES, TABLE, listed own functions', async () => {
    const run = async (sql: string) => (await core({ sql })).results.map((r) => r.rows);
    expect(
      await run(`SELECT a.email, count(p.id)::int AS n, coalesce(sum(p.amount), 0)::int AS total
        FROM account a LEFT JOIN payment p ON p.account_id = a.id GROUP BY a.email ORDER BY a.email`),
    ).toEqual([
      [
        { email: 'a@example.com', n: 2, total: 12 },
        { email: 'b@example.com', n: 1, total: 11 },
        { email: 'c@example.com', n: 0, total: 0 },
      ],
    ]);
    expect(
      await run(`WITH ranked AS (SELECT email, balance, rank() OVER (ORDER BY balance DESC) AS r,
          sum(balance) OVER () AS total, lag(balance) OVER (ORDER BY id) AS prev FROM account)
        SELECT email, r::int, total::int, prev FROM ranked WHERE r <= 2 ORDER BY r`),
    ).toEqual([
      [
        { email: 'c@example.com', r: 1, total: 60, prev: 20 },
        { email: 'b@example.com', r: 2, total: 60, prev: 10 },
      ],
    ]);
    expect(
      await run(`SELECT profile->>'plan' AS plan, jsonb_array_length(coalesce(profile->'tags', '[]')) AS tags,
          profile @> '{"plan":"pro"}' AS pro, jsonb_path_exists(profile, '$.tags[*] ? (@ == "x")') AS has_x
        FROM account WHERE id = 1`),
    ).toEqual([[{ plan: 'pro', tags: 1, pro: true, has_x: true }]]);
    expect(
      await run(`SELECT date_trunc('day', at AT TIME ZONE 'UTC')::date::text AS day, count(*)::int AS n,
          string_agg(amount::text, ',' ORDER BY amount) AS amounts
        FROM payment GROUP BY 1 ORDER BY 1`),
    ).toEqual([
      [
        { day: '2026-01-01', n: 2, amounts: '5,11' },
        { day: '2026-01-02', n: 1, amounts: '7' },
      ],
    ]);
    expect(
      await run(`SELECT x, upper(app.slugify('Hello World!')) AS slug, regexp_replace('a-b', '-', '+') AS r,
          greatest(1, 2) AS g, nullif(1, 1) AS n FROM generate_series(1, 2) AS x
        WHERE EXISTS (SELECT 1 FROM account WHERE email LIKE '%@example.com') ORDER BY x`),
    ).toEqual([
      [
        { x: 1, slug: 'HELLO-WORLD-', r: 'a+b', g: 2, n: null },
        { x: 2, slug: 'HELLO-WORLD-', r: 'a+b', g: 2, n: null },
      ],
    ]);
    const explain = await run('EXPLAIN SELECT * FROM account WHERE id = 1');
    expect(JSON.stringify(explain)).toContain('account');
    // EXPLAIN of a write is a read for the console, but PostgreSQL checks DELETE privilege to plan it.
    await expect(run('EXPLAIN DELETE FROM account')).rejects.toMatchObject({ code: 'PRODGUARD_SQL_FAILED' });
    expect(await run("SHOW TIME ZONE; VALUES (1, 'a'); TABLE payment LIMIT 1")).toHaveLength(3);
    expect(await run('SELECT count(*)::int AS n FROM account_id_seq WHERE false')).toEqual([[{ n: 0 }]]);
    const session = await core({ sql: 'SELECT current_user AS u' });
    expect(session.role).toBe(`${group}_readonly`);
    expect(session.results[0]!.rows).toEqual([{ u: `${group}_readonly` }]);
    const last = audit.at(-1)!;
    expect(last).toMatchObject({ action: 'sql.session', outcome: 'success', details: { write: false } });
  });

  it('--write: reason required, row counts shown before COMMIT, declined rolls back, confirmed commits (audited without values)', async () => {
    const before = await snapshot();
    await expect(
      core({ sql: 'UPDATE account SET balance = 1', write: { reason: 'fix' } }),
    ).rejects.toMatchObject({
      code: 'PRODGUARD_SQL_REASON_MISSING',
    });
    await expect(
      core({ sql: 'UPDATE account SET balance = 1', write: { reason: 'refund ticket 4312' } }),
    ).rejects.toMatchObject({
      code: 'PRODGUARD_SQL_CONFIRM_NEEDED',
    });
    const seen: SqlWriteSummary[] = [];
    await expect(
      core(
        {
          sql: "UPDATE account SET balance = balance + 5 WHERE email = 'a@example.com'; DELETE FROM payment WHERE amount > 6",
          write: { reason: 'refund ticket 4312' },
        },
        async (summary) => {
          seen.push(summary);
          return false;
        },
      ),
    ).rejects.toMatchObject({ code: 'PRODGUARD_SQL_NOT_CONFIRMED' });
    expect(seen[0]).toEqual({
      environment: 'production',
      reason: 'refund ticket 4312',
      statements: [
        { node: 'UpdateStmt', command: 'UPDATE', rowCount: 1 },
        { node: 'DeleteStmt', command: 'DELETE', rowCount: 2 },
      ],
      rowsAffected: 3,
    });
    expect(await snapshot()).toEqual(before);
    expect(audit.at(-1)).toMatchObject({ outcome: 'rolled-back', reason: 'refund ticket 4312' });
    const ok = await core(
      {
        sql: "UPDATE account SET balance = balance + 5 WHERE email = 'a@example.com' RETURNING id",
        write: { reason: 'refund ticket 4312' },
      },
      async () => true,
    );
    expect(ok.mode).toBe('read-write');
    expect(ok.role).toBe(`${group}_a`);
    expect(await p.query('production', "SELECT balance FROM account WHERE email = 'a@example.com'")).toEqual([
      { balance: 15 },
    ]);
    const events = audit.slice(-2);
    expect(events.map((e) => e.outcome)).toEqual(['started', 'success']);
    expect(events[1]).toMatchObject({
      reason: 'refund ticket 4312',
      details: {
        statements: { UpdateStmt: 1 },
        functions: [],
        write: true,
        rowsAffected: 1,
        perStatement: [1],
      },
    });
    expect(JSON.stringify(events)).not.toContain('a@example.com');
    await p.query('production', "UPDATE account SET balance = 10 WHERE email = 'a@example.com'");
    // A row locked elsewhere: the write gives up after lock_timeout instead of queueing, and writes nothing.
    await victim.query('BEGIN');
    await victim.query('SELECT * FROM account WHERE id = 2 FOR UPDATE');
    try {
      const started = Date.now();
      await expect(
        core(
          {
            sql: 'UPDATE account SET balance = 0 WHERE id = 2',
            write: { reason: 'refund ticket 4312' },
            lockTimeoutMs: 200,
          },
          async () => true,
        ),
      ).rejects.toMatchObject({ code: 'PRODGUARD_SQL_FAILED', message: expect.stringContaining('55P03') });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await victim.query('ROLLBACK');
    }
    expect(audit.at(-1)).toMatchObject({
      outcome: 'failed',
      details: { sqlstate: '55P03', failedStatement: 1 },
    });
    expect(await snapshot()).toEqual(before);
  });

  it('through the real CLI: the issue probes are refused, reads work, writes need --yes off a terminal, --override is gone', async () => {
    const before = await snapshot();
    const file = join(p.dir, 'PWNED-CLI');
    const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      runProdguard(['sql', 'production', ...args], {
        cwd: p.dir,
        env: { ...p.env, ...env },
        timeoutMs: 60_000,
      });
    for (const sql of [
      "SELECT lo_from_bytea(0, '\\x41')",
      'SELECT lo_create(0)',
      `SELECT pg_terminate_backend(${victimPid})`,
      "SELECT pg_notify('ch', 'escaped')",
      "SELECT set_config('default_transaction_read_only', 'off', false)",
      `COPY (SELECT 1) TO PROGRAM 'touch ${file}'`,
      'COMMIT; DELETE FROM account',
    ]) {
      const r = await cli(['-c', sql]);
      expect(r.exitCode, `${sql}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain('PRODGUARD_SQL_REFUSED');
      expect(r.stderr).toContain('Nothing ran.');
    }
    const override = await cli([
      '--override',
      'no-direct-production-changes',
      '--reason',
      'just this once',
      '-c',
      'COMMIT; DELETE FROM account',
    ]);
    expect(override.exitCode).toBe(2);
    expect(override.stderr).toContain("unknown option '--override'");
    const noYes = await cli(
      ['--write', 'refund ticket 4312', '-c', "UPDATE account SET balance = 0 WHERE email = 'a@example.com'"],
      {
        DATABASE_URL_PRODUCTION: appUrl,
      },
    );
    expect(noYes.exitCode, noYes.stderr).toBe(2);
    expect(noYes.stderr).toContain('PRODGUARD_SQL_CONFIRM_NEEDED');
    expect(await snapshot()).toEqual(before);
    expect(existsSync(file)).toBe(false);
    const read = await cli(['-c', 'SELECT email, balance FROM account ORDER BY id LIMIT 2']);
    expect(read.stderr).toBe('');
    expect(read.stdout).toBe('email          balance\na@example.com  10\nb@example.com  20\n(2 rows)\n');
    const write = await cli(
      [
        '--write',
        'refund ticket 4312',
        '--yes',
        '-c',
        "UPDATE account SET balance = 11 WHERE email = 'a@example.com'",
      ],
      {
        DATABASE_URL_PRODUCTION: appUrl,
      },
    );
    expect(write.exitCode, write.stderr).toBe(0);
    expect(write.stdout).toBe('UPDATE 1\n');
    expect(write.stderr).toContain(
      'About to COMMIT on production (1 row(s) changed; reason: refund ticket 4312)',
    );
    // On a terminal (a real pty through util-linux `script`): the row counts, then a typed confirmation.
    const onTerminal = (answer: string) =>
      nodeProcessRunner.run(
        'script',
        [
          '-qec',
          `${process.execPath} ${PRODGUARD_BIN} sql production --write "refund ticket 4312" -c "UPDATE account SET balance = 13 WHERE id = 1"`,
          '/dev/null',
        ],
        {
          cwd: p.dir,
          env: { ...process.env, ...p.env, DATABASE_URL_PRODUCTION: appUrl, NO_COLOR: '1' },
          input: `${answer}\n`,
          timeoutMs: 60_000,
        },
      );
    const declined = await onTerminal('no');
    expect(declined.exitCode, declined.stdout).toBe(1);
    expect(declined.stdout).toContain(
      'About to COMMIT on production (1 row(s) changed; reason: refund ticket 4312)',
    );
    expect(declined.stdout).toContain('PRODGUARD_SQL_NOT_CONFIRMED');
    expect(await p.query('production', 'SELECT balance FROM account WHERE id = 1')).toEqual([
      { balance: 11 },
    ]);
    const confirmed = await onTerminal('commit');
    expect(confirmed.exitCode, confirmed.stdout).toBe(0);
    expect(confirmed.stdout).toContain('UPDATE 1');
    expect(await p.query('production', 'SELECT balance FROM account WHERE id = 1')).toEqual([
      { balance: 13 },
    ]);
    const adminWrite = await cli([
      '--write',
      'refund ticket 4312',
      '--yes',
      '-c',
      'UPDATE account SET balance = 12',
    ]);
    expect(adminWrite.exitCode).toBe(1);
    expect(adminWrite.stderr).toContain('PRODGUARD_SQL_ROLE_REFUSED');
    const log = JSON.parse(
      (await runProdguard(['audit', 'log', '--json'], { cwd: p.dir, env: p.env })).stdout,
    );
    const sqlEvents = log.events.filter((e: { action: string }) => e.action === 'sql.session');
    expect(sqlEvents.slice(-7).map((e: { outcome: string }) => e.outcome)).toEqual([
      'started',
      'success',
      'started',
      'rolled-back',
      'started',
      'success',
      'refused',
    ]);
    expect(sqlEvents.at(-2)).toMatchObject({
      outcome: 'success',
      reason: 'refund ticket 4312',
      details: { rowsAffected: 1 },
    });
    const copy = sqlEvents.find((e: { details: { refusals?: string[] } }) =>
      e.details.refusals?.includes('kind:copy'),
    );
    expect(copy).toMatchObject({
      outcome: 'refused',
      details: { write: false, statements: { CopyStmt: 1 } },
    });
    expect(JSON.stringify(log)).not.toContain(file);
    expect(JSON.stringify(log)).not.toContain(new URL(readonlyUrl).password);
    await p.query('production', "UPDATE account SET balance = 10 WHERE email = 'a@example.com'");
  });
});

function renderTable(rows: { id: string; sql: string; ro: string; admin: string; write: string }[]): string {
  const cell = (s: string) => s.replaceAll('|', '\\|').replace('PRODGUARD_SQL_REFUSED ', 'refused: ');
  const short = (sql: string) => (sql.length > 100 ? `${sql.slice(0, 40)}…${sql.slice(-30)}` : sql);
  return [
    '| # | Attempt | SQL | Read-only role (no flags) | Admin / superuser URL | `--write "<reason>"` as the app role |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r, i) =>
        `| ${i + 1} | ${r.id} | \`${cell(short(r.sql))}\` | ${cell(r.ro)} | ${cell(r.admin)} | ${r.write ? cell(r.write) : '—'} |`,
    ),
  ].join('\n');
}
