import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../kernel/free-port.js';
import { type EmbeddedCluster, startEmbeddedCluster } from '../kernel/load-embedded-postgres.js';

export type DemoEnvironment = 'staging' | 'production';
const ENVIRONMENTS: readonly DemoEnvironment[] = ['staging', 'production'];

export interface DemoDatabase {
  /** Superuser URL of the environment's `cvstomize` database: the admin secret rotations use. */
  adminUrl(environment: DemoEnvironment): string;
  port(environment: DemoEnvironment): number;
  jwtSecret(environment: DemoEnvironment): string;
  /** A server where scratch databases may be created (rollback verification, drift). */
  shadowUrl: string;
  hasPgDump: boolean;
  stop(): Promise<void>;
}

/**
 * One embedded PostgreSQL cluster per environment (as staging and production are separate Cloud SQL
 * instances), with scram-sha-256 logins and an empty `cvstomize` database. The application's roles are
 * created by `prodguard secrets setup-roles`.
 */
export async function startDemoDatabase(dir: string): Promise<DemoDatabase> {
  const clusters = {} as Record<DemoEnvironment, EmbeddedCluster>;
  try {
    for (const environment of ENVIRONMENTS) {
      clusters[environment] = await startEmbeddedCluster({
        dir: join(dir, environment),
        port: await freePort(),
        password: randomBytes(12).toString('hex'),
        settings: { max_connections: '200' },
      });
      const admin = new pg.Client({ connectionString: clusters[environment].url });
      await admin.connect();
      try {
        await admin.query('CREATE DATABASE cvstomize');
      } finally {
        await admin.end();
      }
    }
  } catch (error) {
    await Promise.all(Object.values(clusters).map((c) => c.stop().catch(() => undefined)));
    throw error;
  }
  const jwt = { staging: randomBytes(24).toString('hex'), production: randomBytes(24).toString('hex') };
  return {
    adminUrl: (environment) => clusters[environment].url.replace(/\/postgres$/, '/cvstomize'),
    port: (environment) => clusters[environment].port,
    jwtSecret: (environment) => jwt[environment],
    shadowUrl: clusters.staging.url,
    hasPgDump: ['/usr/bin/pg_dump', '/usr/local/bin/pg_dump'].some((path) => existsSync(path)),
    stop: async () => {
      await Promise.all(Object.values(clusters).map((c) => c.stop()));
    },
  };
}
