import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { RuntimeLog } from '@prodguard/runtime';
import pg from 'pg';
import { createTestDatabase, postgresServer, serverUrl, type TestDatabase } from '../../helpers/postgres.js';

/** A login role with a password on the run's cluster, owning a fresh database. */
export interface TestRole {
  user: string;
  password: string;
  database: TestDatabase;
  host: string;
  port: number;
  setPassword(next: string): Promise<void>;
  drop(): Promise<void>;
}

export function strongPassword(): string {
  return `pw-${randomBytes(12).toString('hex')}`;
}

export async function adminQuery(sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestRole(prefix = 'rt'): Promise<TestRole> {
  const user = `${prefix}_${randomBytes(5).toString('hex')}`;
  const password = strongPassword();
  await adminQuery(`CREATE ROLE "${user}" LOGIN PASSWORD '${password}'`);
  const database = await createTestDatabase(prefix);
  await adminQuery(`ALTER DATABASE "${database.name}" OWNER TO "${user}"`);
  const server = postgresServer();
  const role: TestRole = {
    user,
    password,
    database,
    host: server.host,
    port: server.port,
    setPassword: async (next) => {
      await adminQuery(`ALTER ROLE "${user}" PASSWORD '${next}'`);
      role.password = next;
    },
    drop: async () => {
      await database.drop();
      await adminQuery(`DROP ROLE IF EXISTS "${user}"`);
    },
  };
  return role;
}

/** Captures everything the runtime logs, as the lines an operator would see. */
export function captureLog(): RuntimeLog & {
  lines: string[];
  entries: { level: string; msg: string; fields: Record<string, unknown> }[];
} {
  const lines: string[] = [];
  const entries: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    entries.push({ level, msg, fields: fields ?? {} });
    lines.push(JSON.stringify({ level, msg, ...fields }));
  };
  return { lines, entries, info: at('info'), warn: at('warn'), error: at('error') };
}

/** A TCP port that accepts connections and never answers: a database host that hangs. */
export async function blackholeServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no address');
  return address.port;
}
