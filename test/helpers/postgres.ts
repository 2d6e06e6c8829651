import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  name: string;
  /** Superuser URL of this database (test-only credentials). */
  url: string;
  host: string;
  port: number;
  drop(): Promise<void>;
}

export function postgresServer() {
  return inject('postgres');
}

export function serverUrl(database = 'postgres'): string {
  const s = postgresServer();
  return `postgresql://${s.user}:${encodeURIComponent(s.password)}@${s.host}:${s.port}/${database}`;
}

/** A fresh, empty database on the run's cluster; drop() removes it. */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const s = postgresServer();
  return {
    name,
    url: serverUrl(name),
    host: s.host,
    port: s.port,
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
