import pg from 'pg';
import { ProdguardError } from '../../kernel/errors.js';
import { redactUrl } from '../pg-session.js';

/** The console's one connection. Statements go through the extended protocol, one command per message. */
export interface ConsoleConnection {
  /**
   * One statement through the extended query protocol: the server refuses a second command hidden in the
   * text, so PostgreSQL's own parser can never see more statements than the console judged.
   */
  query(text: string): Promise<{
    rows: Record<string, unknown>[];
    rowCount: number | null;
    command: string;
    fields: string[];
  }>;
  /** prodguard's own control statements (BEGIN, SET LOCAL, COMMIT, ROLLBACK). */
  exec(text: string): Promise<void>;
  /** A parameterized query of prodguard's own (role checks). */
  queryParams<R extends Record<string, unknown>>(
    text: string,
    params: readonly unknown[],
  ): Promise<{ rows: R[] }>;
  close(): Promise<void>;
}

export async function openConsoleConnection(url: string): Promise<ConsoleConnection> {
  const client = new pg.Client({ connectionString: url, application_name: 'prodguard sql' });
  client.on('error', () => {
    // surfaced by the next query; an idle connection dropping must not crash the process
  });
  try {
    await client.connect();
  } catch (cause) {
    throw new ProdguardError('PRODGUARD_DB_CONNECT', `Cannot connect to ${redactUrl(url)}.`, {
      cause,
      hint: 'Check the URL (database.urlEnv / readonlyUrlEnv, or the read-only secret), that the server runs, and the credentials.',
    });
  }
  return {
    query: async (text) => {
      const r = await client.query({ text, queryMode: 'extended' } as pg.QueryConfig);
      return {
        rows: r.rows,
        rowCount: r.rowCount,
        command: r.command,
        fields: (r.fields ?? []).map((f) => f.name),
      };
    },
    exec: async (text) => {
      await client.query(text);
    },
    queryParams: async <R extends Record<string, unknown>>(text: string, params: readonly unknown[]) => {
      const r = await client.query(text, params as unknown[]);
      return { rows: r.rows as R[] };
    },
    close: async () => {
      // pg's end() never rejects (a dead socket is destroyed): nothing to catch.
      await client.end();
    },
  };
}
