import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { freePort } from '../kernel/free-port.js';
import { startEmbeddedCluster } from '../kernel/load-embedded-postgres.js';

export type DemoEnvironment = 'staging' | 'production';

export interface DemoDatabase {
  port: number;
  /** The app's own role and database for an environment (a password only this run knows). */
  appUrl(environment: DemoEnvironment): string;
  jwtSecret(environment: DemoEnvironment): string;
  /** Superuser URL, used as the shadow server for rollback verification. */
  adminUrl: string;
  hasPgDump: boolean;
  stop(): Promise<void>;
}

/** One embedded PostgreSQL cluster with scram-sha-256 logins and a database + role per environment. */
export async function startDemoDatabase(dir: string): Promise<DemoDatabase> {
  const cluster = await startEmbeddedCluster({
    dir,
    port: await freePort(),
    password: randomBytes(12).toString('hex'),
    settings: { max_connections: '200' },
  });
  const adminUrl = cluster.url;
  const port = cluster.port;
  const passwords = { staging: randomBytes(12).toString('hex'), production: randomBytes(12).toString('hex') };
  const jwt = { staging: randomBytes(24).toString('hex'), production: randomBytes(24).toString('hex') };
  const role = (environment: DemoEnvironment) => `cvstomize_${environment}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const environment of ['staging', 'production'] as const) {
      await admin.query(`CREATE ROLE ${role(environment)} LOGIN PASSWORD '${passwords[environment]}'`);
      await admin.query(`CREATE DATABASE ${role(environment)} OWNER ${role(environment)}`);
    }
  } finally {
    await admin.end();
  }
  return {
    port,
    adminUrl,
    appUrl: (environment) =>
      `postgresql://${role(environment)}:${passwords[environment]}@127.0.0.1:${port}/${role(environment)}`,
    jwtSecret: (environment) => jwt[environment],
    hasPgDump: ['/usr/bin/pg_dump', '/usr/local/bin/pg_dump'].some((path) => existsSync(path)),
    stop: () => cluster.stop(),
  };
}
