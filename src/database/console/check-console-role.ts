import type { ConsoleConnection } from './console-connection.js';

/** Predefined roles that reach outside the tables: files, programs, other sessions, server maintenance. */
export const DANGEROUS_ROLES = Object.freeze([
  'pg_read_server_files',
  'pg_write_server_files',
  'pg_execute_server_program',
  'pg_signal_backend',
  'pg_checkpoint',
  'pg_create_subscription',
  'pg_maintain',
  'pg_signal_autovacuum_worker',
  'pg_use_reserved_connections',
]);

/** What the console learned about the role it connected as, before running anything. */
export interface ConsoleRoleFacts {
  sessionUser: string;
  currentUser: string;
  superuser: boolean;
  /** Attributes an application or read-only role never needs (CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS). */
  elevated: string[];
  /** Dangerous predefined roles the login is a member of (directly or through other roles). */
  dangerousMemberships: string[];
  defaultReadOnly: boolean;
  /** Tables and views (outside the system schemas) the role can INSERT/UPDATE/DELETE/TRUNCATE. */
  writableTables: number;
  /** Schemas or the database the role can CREATE in. */
  canCreate: boolean;
  /** The schema searched first for functions; must be pg_catalog for the function allowlist to hold. */
  firstSchema: string;
  /** Must be on: the console's parser reads string literals as standard-conforming. */
  standardStrings: boolean;
}

export async function readConsoleRoleFacts(
  db: Pick<ConsoleConnection, 'queryParams'>,
): Promise<ConsoleRoleFacts> {
  const { rows } = await db.queryParams<{
    session_user: string;
    current_user: string;
    superuser: boolean;
    elevated: string[];
    dangerous: string[];
    dtro: string;
    writable: number;
    can_create: boolean;
    first_schema: string;
    scs: string;
  }>(
    `SELECT session_user::text AS session_user, current_user::text AS current_user,
       bool_or(r.rolsuper) AS superuser,
       array_remove(ARRAY[
         CASE WHEN bool_or(r.rolcreaterole) THEN 'CREATEROLE' END,
         CASE WHEN bool_or(r.rolcreatedb) THEN 'CREATEDB' END,
         CASE WHEN bool_or(r.rolreplication) THEN 'REPLICATION' END,
         CASE WHEN bool_or(r.rolbypassrls) THEN 'BYPASSRLS' END], NULL) AS elevated,
       (SELECT coalesce(array_agg(d.rolname::text ORDER BY d.rolname), '{}') FROM pg_roles d
         WHERE d.rolname = ANY($1::text[])
           AND (pg_has_role(session_user, d.oid, 'MEMBER') OR pg_has_role(current_user, d.oid, 'MEMBER'))) AS dangerous,
       current_setting('default_transaction_read_only') AS dtro,
       (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
           AND n.nspname NOT LIKE 'pg_temp%'
           AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) AS writable,
       (has_database_privilege(current_database(), 'CREATE')
         OR EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname NOT LIKE 'pg_%'
           AND n.nspname <> 'information_schema' AND has_schema_privilege(n.oid, 'CREATE'))) AS can_create,
       (current_schemas(true))[1]::text AS first_schema,
       current_setting('standard_conforming_strings') AS scs
     FROM pg_roles r WHERE r.rolname IN (session_user, current_user)`,
    [DANGEROUS_ROLES],
  );
  const r = rows[0]!;
  return {
    sessionUser: r.session_user,
    currentUser: r.current_user,
    superuser: r.superuser === true,
    elevated: r.elevated,
    dangerousMemberships: r.dangerous,
    defaultReadOnly: r.dtro === 'on',
    writableTables: r.writable,
    canCreate: r.can_create,
    firstSchema: r.first_schema,
    standardStrings: r.scs === 'on',
  };
}

/**
 * Why the console must not use this connection (empty: it may). Every connection must be an ordinary role;
 * the read path must be the read-only role: read-only by default, no write or CREATE privileges.
 */
export function judgeConsoleRole(facts: ConsoleRoleFacts, path: 'read' | 'write'): string[] {
  const problems: string[] = [];
  const who =
    facts.sessionUser === facts.currentUser
      ? facts.sessionUser
      : `${facts.sessionUser} (as ${facts.currentUser})`;
  if (facts.superuser) problems.push(`${who} is a superuser`);
  if (facts.elevated.length > 0) problems.push(`${who} has ${facts.elevated.join(', ')}`);
  if (facts.dangerousMemberships.length > 0)
    problems.push(`${who} is a member of ${facts.dangerousMemberships.join(', ')}`);
  if (facts.firstSchema !== 'pg_catalog')
    problems.push(
      `the search_path puts ${facts.firstSchema} before pg_catalog, so function names could resolve elsewhere`,
    );
  if (!facts.standardStrings)
    problems.push(
      "standard_conforming_strings is off, so the server would read a string literal with a backslash differently from the console's parser",
    );
  if (path === 'read') {
    if (!facts.defaultReadOnly)
      problems.push(`${who} is not read-only by default (default_transaction_read_only is off)`);
    if (facts.writableTables > 0) problems.push(`${who} can write ${facts.writableTables} table(s)`);
    if (facts.canCreate) problems.push(`${who} can CREATE in this database or one of its schemas`);
  }
  return problems;
}
