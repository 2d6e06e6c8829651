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
}

const CONNECT_TIMEOUT_MS = 10_000;

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => {
    // a connection dropped after use; the query's own error is what matters
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
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
});

/** The URL with another login role and password; host, port, database and options are kept. */
export function withCredentials(url: string, role: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(role);
  u.password = encodeURIComponent(password);
  return u.toString();
}
