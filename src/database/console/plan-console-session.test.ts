import { describe, expect, it } from 'vitest';
import { classifySql } from '../classify-sql.js';
import { type ConsoleRoleFacts, judgeConsoleRole } from './check-console-role.js';
import { judgeFunction } from './console-functions.js';
import { planConsoleSession } from './plan-console-session.js';

const plan = async (sql: string, write = false, extraFunctions: string[] = []) =>
  planConsoleSession(await classifySql(sql), { write, extraFunctions });

describe('planConsoleSession', () => {
  it('accepts reads that call only listed functions, and lists the functions for the audit', async () => {
    const p = await plan(
      `WITH t AS (SELECT id, lower(email) AS e, row_number() OVER (ORDER BY id) AS n FROM account)
      SELECT e, count(*), date_trunc('day', now()), app.slugify(e) FROM t GROUP BY e`,
      false,
      ['app.slugify'],
    );
    expect(p.refusals).toEqual([]);
    expect(p.functions).toEqual(['app.slugify', 'count', 'date_trunc', 'lower', 'now', 'row_number']);
  });

  it('refuses writes without --write (unlockable), and everything else whatever the flags', async () => {
    const p = await plan("UPDATE t SET a = 1; COMMIT; SELECT pg_notify('c', 'x'); COPY t TO STDOUT", true);
    expect(p.refusals.map((r) => [r.tag, r.unlockable])).toEqual([
      ['kind:transaction', false],
      ['function:pg_notify', false],
      ['kind:copy', false],
    ]);
    expect((await plan('UPDATE t SET a = 1')).refusals.map((r) => [r.tag, r.unlockable])).toEqual([
      ['kind:write', true],
    ]);
    expect((await plan('UPDATE t SET a = 1', true)).refusals).toEqual([]);
  });

  it('names why a function is refused, inside statements of any kind', async () => {
    const p = await plan("INSERT INTO t SELECT lo_create(0), nextval('s'), app.x()", true);
    expect(p.refusals.map((r) => r.message)).toEqual([
      'statement 1 (InsertStmt) calls app.x(), which is outside pg_catalog and not listed in database.consoleFunctions; refused whatever the flags',
      'statement 1 (InsertStmt) calls lo_create(), which works on large objects (stored outside the tables, and persistent); refused whatever the flags',
      'statement 1 (InsertStmt) calls nextval(), which advances a sequence (not undone by ROLLBACK); refused whatever the flags',
    ]);
  });
});

describe('judgeFunction', () => {
  it('refuses side effects whatever their volatility and unknown names; allows listed schema functions only by full name', () => {
    for (const name of [
      'pg_terminate_backend',
      'set_config',
      'pg_advisory_xact_lock',
      'dblink_exec',
      'query_to_xml',
      'pg_ls_waldir',
      'txid_current',
      'pg_sleep_for',
      'lo_put',
      'some_new_function',
    ])
      expect(judgeFunction(name, []).allowed, name).toBe(false);
    for (const name of ['lower', 'count', 'jsonb_path_query', 'generate_series', 'now', 'pg_size_pretty'])
      expect(judgeFunction(name, []).allowed, name).toBe(true);
    expect(judgeFunction('app.slugify', ['app.slugify']).allowed).toBe(true);
    expect(judgeFunction('other.slugify', ['app.slugify']).allowed).toBe(false);
    expect(judgeFunction('slugify', ['app.slugify']).allowed).toBe(false);
  });

  it('keeps the case of quoted names: "LO_CREATE" and "PG_CATALOG".lower are not the built-ins', async () => {
    const p = await plan(
      'SELECT "LO_CREATE"(0), "PG_CATALOG".lower(\'a\'), LOWER(\'a\'), 1 OPERATOR("PG_CATALOG".+) 1',
    );
    expect(p.refusals.map((r) => r.tag)).toEqual([
      'function:LO_CREATE',
      'function:PG_CATALOG.lower',
      'operator:PG_CATALOG.+',
    ]);
  });
});

describe('judgeConsoleRole', () => {
  const readonly: ConsoleRoleFacts = {
    sessionUser: 'app_readonly',
    currentUser: 'app_readonly',
    superuser: false,
    elevated: [],
    dangerousMemberships: [],
    defaultReadOnly: true,
    writableTables: 0,
    canCreate: false,
    firstSchema: 'pg_catalog',
    standardStrings: true,
  };
  it('accepts the read-only role, and refuses superusers, elevated roles, writers and a shadowing search_path', () => {
    expect(judgeConsoleRole(readonly, 'read')).toEqual([]);
    expect(judgeConsoleRole({ ...readonly, superuser: true, elevated: ['CREATEROLE'] }, 'write')).toEqual([
      'app_readonly is a superuser',
      'app_readonly has CREATEROLE',
    ]);
    expect(
      judgeConsoleRole(
        {
          ...readonly,
          sessionUser: 'app_a',
          currentUser: 'app',
          defaultReadOnly: false,
          writableTables: 3,
          canCreate: true,
        },
        'read',
      ),
    ).toEqual([
      'app_a (as app) is not read-only by default (default_transaction_read_only is off)',
      'app_a (as app) can write 3 table(s)',
      'app_a (as app) can CREATE in this database or one of its schemas',
    ]);
    expect(judgeConsoleRole({ ...readonly, defaultReadOnly: false, writableTables: 3 }, 'write')).toEqual([]);
    expect(judgeConsoleRole({ ...readonly, standardStrings: false }, 'write')).toEqual([
      "standard_conforming_strings is off, so the server would read a string literal with a backslash differently from the console's parser",
    ]);
    expect(
      judgeConsoleRole(
        { ...readonly, firstSchema: 'app', dangerousMemberships: ['pg_signal_backend'] },
        'write',
      ),
    ).toEqual([
      'app_readonly is a member of pg_signal_backend',
      'the search_path puts app before pg_catalog, so function names could resolve elsewhere',
    ]);
  });
});
