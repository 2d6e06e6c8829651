import pg from 'pg';
import { ProdguardError } from '../kernel/errors.js';
import { redactText } from '../kernel/redact.js';
import { scramSha256Verifier } from './scram-verifier.js';

export type LoginAttempt = { ok: true } | { ok: false; code?: string; message: string };

/** Port: the few things rotation does to PostgreSQL roles. The pg implementation below is the real one. */
export interface PostgresRoleAdmin {
  /** `ALTER ROLE role PASSWORD '<scram verifier>'` through the admin connection. */
  setPassword(adminUrl: string, role: string, password: string): Promise<void>;
  /** One login with `url` and `SELECT 1`. */
  tryLogin(url: string): Promise<LoginAttempt>;
  /** Creates the group role (NOLOGIN) and its login members; returns the roles it created. */
  setupRoles(
    adminUrl: string,
    group: string,
    members: readonly { role: string; password: string }[],
  ): Promise<string[]>;
  /**
   * Creates (or re-asserts) the console's read-only login: no elevated attributes, read-only by default,
   * SELECT on the tables of every non-system schema now and, through default privileges, later. Returns
   * whether the role was created. The password is set only when the role is created or `resetPassword`.
   */
  setupReadonlyRole(
    adminUrl: string,
    role: { role: string; password: string; owners: readonly string[]; resetPassword: boolean },
  ): Promise<{ created: boolean; warnings: string[] }>;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** The large-object functions that create objects (the others need ownership or a grant on an existing one). */
const LARGE_OBJECT_CREATORS = Object.freeze([
  'pg_catalog.lo_create(oid)',
  'pg_catalog.lo_creat(integer)',
  'pg_catalog.lo_from_bytea(oid, bytea)',
]);

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => {
    // a connection dropped after use; the query's own error is what matters
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    // pg's end() never rejects (a dead socket is destroyed): nothing to catch.
    await client.end();
  }
}

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the database';
  }
}

function databaseError(
  what: string,
  url: string,
  cause: unknown,
  secrets: readonly string[],
): ProdguardError {
  const pgError = cause as { code?: string; message?: string };
  return new ProdguardError(
    'PRODGUARD_SECRET_DATABASE_FAILED',
    `${what} on ${hostOf(url)} failed: ${redactText(pgError.message ?? String(cause), secrets)}${pgError.code ? ` (SQLSTATE ${pgError.code})` : ''}`,
    {
      hint: 'Check the admin secret (its role needs CREATEROLE) and that the database is reachable.',
      details: { sqlstate: pgError.code ?? null },
    },
  );
}

function passwordOf(url: string): string[] {
  try {
    const p = decodeURIComponent(new URL(url).password);
    return p ? [p] : [];
  } catch {
    return [];
  }
}

export const pgRoleAdmin: PostgresRoleAdmin = Object.freeze({
  async setPassword(adminUrl: string, role: string, password: string) {
    const secrets = [password, ...passwordOf(adminUrl)];
    try {
      await withClient(adminUrl, async (client) => {
        const sql = `ALTER ROLE ${client.escapeIdentifier(role)} PASSWORD ${client.escapeLiteral(scramSha256Verifier(password))}`;
        await client.query(sql);
      });
    } catch (cause) {
      throw databaseError(`Setting the password of role ${role}`, adminUrl, cause, secrets);
    }
  },

  async tryLogin(url: string): Promise<LoginAttempt> {
    try {
      await withClient(url, (client) => client.query('SELECT 1'));
      return { ok: true };
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return {
        ok: false,
        ...(e.code ? { code: e.code } : {}),
        message: redactText(e.message ?? String(error), passwordOf(url)),
      };
    }
  },

  async setupRoles(adminUrl: string, group: string, members: readonly { role: string; password: string }[]) {
    const secrets = [...members.map((m) => m.password), ...passwordOf(adminUrl)];
    try {
      return await withClient(adminUrl, async (client) => {
        const created: string[] = [];
        const exists = async (role: string) =>
          (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1;
        const g = client.escapeIdentifier(group);
        if (!(await exists(group))) {
          await client.query(`CREATE ROLE ${g} NOLOGIN`);
          created.push(group);
        }
        const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
        await client.query(
          `GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${client.escapeIdentifier(database)} TO ${g}`,
        );
        await client.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${g}`);
        for (const member of members) {
          const m = client.escapeIdentifier(member.role);
          if (!(await exists(member.role))) {
            await client.query(
              `CREATE ROLE ${m} LOGIN PASSWORD ${client.escapeLiteral(scramSha256Verifier(member.password))} IN ROLE ${g}`,
            );
            created.push(member.role);
          }
          // Objects created by either login belong to the group, so the other login can use them after a rotation.
          await client.query(`ALTER ROLE ${m} SET role = ${client.escapeLiteral(group)}`);
        }
        return created;
      });
    } catch (cause) {
      throw databaseError(
        `Creating roles ${group}, ${members.map((m) => m.role).join(', ')}`,
        adminUrl,
        cause,
        secrets,
      );
    }
  },

  async setupReadonlyRole(
    adminUrl: string,
    input: { role: string; password: string; owners: readonly string[]; resetPassword: boolean },
  ) {
    const secrets = [input.password, ...passwordOf(adminUrl)];
    try {
      return await withClient(adminUrl, async (client) => {
        const r = client.escapeIdentifier(input.role);
        await client.query('BEGIN');
        const exists =
          (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [input.role])).rowCount === 1;
        const attributes = 'NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT LOGIN';
        const password = client.escapeLiteral(scramSha256Verifier(input.password));
        if (!exists)
          await client.query(`CREATE ROLE ${r} ${attributes} CONNECTION LIMIT 5 PASSWORD ${password}`);
        else {
          await client.query(`ALTER ROLE ${r} ${attributes}`);
          if (input.resetPassword) await client.query(`ALTER ROLE ${r} PASSWORD ${password}`);
        }
        // Role-level settings: every session of this login starts read-only and cannot idle holding a snapshot.
        await client.query(`ALTER ROLE ${r} SET default_transaction_read_only = on`);
        await client.query(`ALTER ROLE ${r} SET idle_in_transaction_session_timeout = '60s'`);
        // Memberships granted by hand would bring privileges back (NOINHERIT keeps SET ROLE possible): drop them all.
        const memberOf = await client.query<{ rolname: string }>(
          `SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
           JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1`,
          [input.role],
        );
        for (const g of memberOf.rows)
          await client.query(`REVOKE ${client.escapeIdentifier(g.rolname)} FROM ${r}`);
        const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
        await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(database)} TO ${r}`);
        const schemas = await client.query<{ nspname: string }>(
          `SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1`,
        );
        const self = (await client.query<{ u: string }>('SELECT current_user::text AS u')).rows[0]!.u;
        const owners = [...new Set([self, ...input.owners])];
        const warnings: string[] = [];
        for (const { nspname } of schemas.rows) {
          const n = client.escapeIdentifier(nspname);
          await client.query(`GRANT USAGE ON SCHEMA ${n} TO ${r}`);
          await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${n} TO ${r}`);
          // SELECT on a sequence reads last_value; nextval/setval need USAGE/UPDATE, which it never gets.
          await client.query(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${n} TO ${r}`);
          for (const owner of owners) {
            const o = client.escapeIdentifier(owner);
            try {
              await client.query('SAVEPOINT default_privileges');
              for (const objects of ['TABLES', 'SEQUENCES'])
                await client.query(
                  `ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA ${n} GRANT SELECT ON ${objects} TO ${r}`,
                );
              await client.query('RELEASE SAVEPOINT default_privileges');
            } catch (error) {
              if ((error as { code?: string }).code !== '42501') throw error;
              await client.query('ROLLBACK TO SAVEPOINT default_privileges');
              warnings.push(
                `tables ${owner} creates later in ${nspname} are not readable until setup-roles runs again (the admin is not a member of ${owner})`,
              );
            }
          }
        }
        // Creating a large object needs no privilege on any table and is allowed even in a read-only
        // transaction: take it away from PUBLIC, give it back to the app's group.
        try {
          await client.query('SAVEPOINT large_objects');
          for (const fn of LARGE_OBJECT_CREATORS) {
            await client.query(`REVOKE EXECUTE ON FUNCTION ${fn} FROM PUBLIC`);
            for (const owner of input.owners)
              await client.query(`GRANT EXECUTE ON FUNCTION ${fn} TO ${client.escapeIdentifier(owner)}`);
          }
          await client.query('RELEASE SAVEPOINT large_objects');
        } catch (error) {
          if ((error as { code?: string }).code !== '42501') throw error;
          await client.query('ROLLBACK TO SAVEPOINT large_objects');
          warnings.push(
            `the admin cannot revoke large-object creation from PUBLIC, so ${input.role} can still create large objects outside prodguard (the console refuses lo_* and never commits a read)`,
          );
        }
        await client.query('COMMIT');
        return { created: !exists, warnings };
      });
    } catch (cause) {
      throw databaseError(`Creating the read-only role ${input.role}`, adminUrl, cause, secrets);
    }
  },
});

/** The URL with another login role and password; host, port, database and options are kept. */
export function withCredentials(url: string, role: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(role);
  u.password = encodeURIComponent(password);
  return u.toString();
}
