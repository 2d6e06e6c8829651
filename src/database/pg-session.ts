import pg from 'pg';
import { ProdguardError } from '../kernel/errors.js';
import { redactText } from '../kernel/redact.js';

/** What core code needs from a PostgreSQL connection: one session, simple and parameterized queries. */
export interface PgSession {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null; command: string }>;
  /** Multi-statement script through the simple query protocol (as psql and Prisma send a migration). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

/** A URL safe to print: the password is replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '[redacted]';
    return redactText(parsed.toString().replace('%5Bredacted%5D', '[redacted]'));
  } catch {
    return redactText(url);
  }
}

export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** Opens one session; connection errors name the (redacted) URL. */
export async function openPgSession(url: string, applicationName = 'prodguard'): Promise<PgSession> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  client.on('error', () => {
    // surfaced by the next query; an idle connection dropping must not crash the process
  });
  try {
    await client.connect();
  } catch (cause) {
    throw new ProdguardError('PRODGUARD_DB_CONNECT', `Cannot connect to ${redactUrl(url)}.`, {
      cause,
      hint: 'Check the URL (database.url / urlEnv in prodguard.yaml), that the server runs, and the credentials.',
    });
  }
  return {
    query: async (text, params) => {
      const result = await client.query(text, params as unknown[] | undefined);
      return { rows: result.rows, rowCount: result.rowCount, command: result.command };
    },
    exec: async (script) => {
      await client.query(script);
    },
    close: async () => {
      // pg's end() never rejects (a dead socket is destroyed): nothing to catch.
      await client.end();
    },
  };
}

/** A PostgreSQL error's useful parts, with the line of the script it points at. */
export function describePgError(error: unknown, script?: string): string {
  const e = error as { message?: string; code?: string; detail?: string; hint?: string; position?: string };
  const parts = [e.message ?? String(error)];
  if (e.code) parts[0] = `${parts[0]} (SQLSTATE ${e.code})`;
  if (e.detail) parts.push(`detail: ${e.detail}`);
  if (e.hint) parts.push(`hint: ${e.hint}`);
  if (script && e.position) {
    const offset = Number(e.position) - 1;
    const before = script.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    parts.push(`at line ${line}, column ${column}: ${script.split('\n')[line - 1]?.trim() ?? ''}`);
  }
  return parts.join('\n');
}
