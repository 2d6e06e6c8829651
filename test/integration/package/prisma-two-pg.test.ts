import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_DIR, dbEnv, runScript } from '../example-app/example-app-fixtures.js';
import { closedPort, createTestRole, type TestRole } from '../runtime/runtime-fixtures.js';
import { packRuntime, REPO, type ScratchApp, scratchApp } from './scratch-app.js';

const APP_MANIFEST = JSON.parse(readFileSync(join(APP_DIR, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
/** Older than @prisma/adapter-pg's range (^8.16.3), so npm gives the adapter a pg of its own. */
const OLD_PG = '8.15.6';

// What a service on Prisma does at start, with the adapter built either way.
const PROBE = `
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import { createPool, createPrismaAdapter } from '@prodguard/runtime';
const quiet = { info() {}, warn() {}, error() {} };
const pool = createPool({ connectionString: process.env.APP_DATABASE_URL, log: quiet });
const poolWorks = (await pool.query('SELECT 1 AS ok')).rows[0].ok === 1;
const adapter = process.env.MODE === 'helper' ? createPrismaAdapter(PrismaPg, pool) : new PrismaPg(pool);
const prisma = new PrismaClient({ adapter });
const before = pool.metrics().acquired;
let outcome;
try {
  outcome = { ok: true, templates: await prisma.template.count() };
} catch (error) {
  const cause = error.cause ?? {};
  outcome = { ok: false, name: error.name, message: String(error.message), code: error.code ?? cause.code };
}
outcome.poolWorks = poolWorks;
outcome.throughPool = pool.metrics().acquired - before;
await pool.end();
console.log(JSON.stringify(outcome));
process.exit(0);
`;

interface Outcome {
  ok: boolean;
  templates?: number;
  name?: string;
  message?: string;
  code?: string;
  poolWorks: boolean;
  throughPool: number;
}

describe('@prodguard/runtime next to Prisma 7 when the app holds two copies of pg', () => {
  let packed: Awaited<ReturnType<typeof packRuntime>>;
  let app: ScratchApp;
  let role: TestRole;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    packed = await packRuntime();
    app = scratchApp('prisma-two-pg');
    role = await createTestRole('twopg');
    const migrated = await runScript(join(APP_DIR, 'scripts', 'migrate.mjs'), ['deploy'], dbEnv(role));
    expect(migrated.code).toBe(0);
    await app.install([
      packed.tarball,
      `pg@${OLD_PG}`,
      `@prisma/client@${APP_MANIFEST.dependencies['@prisma/client']}`,
      `@prisma/adapter-pg@${APP_MANIFEST.dependencies['@prisma/adapter-pg']}`,
    ]);
    // The client generated from the example app's schema (same @prisma/client version): no CLI needed here.
    const generated = join(REPO, 'node_modules', '.prisma', 'client');
    if (!existsSync(generated))
      throw new Error(`${generated} is missing: run npm ci (it generates the client)`);
    cpSync(generated, join(app.dir, 'node_modules', '.prisma', 'client'), { recursive: true });
    const port = await closedPort();
    env = {
      APP_DATABASE_URL: `postgresql://${role.user}:${encodeURIComponent(role.password)}@${role.host}:${role.port}/${role.database.name}`,
      // pg's defaults, which a pool built from a config object it does not understand falls back to.
      PGHOST: '127.0.0.1',
      PGPORT: String(port),
    };
  });
  afterAll(async () => {
    app?.remove();
    packed?.remove();
    await role?.drop();
  });

  it('the app really holds two copies: its own pg and the adapter’s', () => {
    const version = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    const nodeModules = join(app.dir, 'node_modules');
    expect(version(join(nodeModules, 'pg'))).toBe(OLD_PG);
    const nested = join(nodeModules, '@prisma', 'adapter-pg', 'node_modules', 'pg');
    expect(existsSync(nested)).toBe(true);
    expect(version(nested)).not.toBe(OLD_PG);
  });

  it('the trap: new PrismaPg(pool) silently drops the pool and connects to pg’s defaults', async () => {
    const outcome = await app.evaluate<Outcome>(PROBE, { ...env, MODE: 'plain' });
    expect(outcome.poolWorks).toBe(true);
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toContain(`127.0.0.1:${env.PGPORT}`);
    expect(outcome.throughPool).toBe(0);
  });

  it('createPrismaAdapter fails with the clear error instead, and nothing reaches another server', async () => {
    const outcome = await app.evaluate<Outcome>(PROBE, { ...env, MODE: 'helper' });
    expect(outcome.poolWorks).toBe(true);
    expect(outcome).toMatchObject({ ok: false, code: 'PRODGUARD_RUNTIME_PG_MISMATCH' });
    expect(outcome.message).toContain("Prisma's pg adapter would not use the resilient pool");
    expect(outcome.message).toContain(`pg ${OLD_PG}`);
    expect(outcome.message).not.toContain(`127.0.0.1:${env.PGPORT}`);
    expect(outcome.throughPool).toBe(0);
  });

  it('with one copy of pg (the fix the error names), the same code runs on the pool', async () => {
    await app.install([`pg@${APP_MANIFEST.dependencies.pg}`]);
    expect(existsSync(join(app.dir, 'node_modules', '@prisma', 'adapter-pg', 'node_modules', 'pg'))).toBe(
      false,
    );
    const outcome = await app.evaluate<Outcome>(PROBE, { ...env, MODE: 'helper' });
    expect(outcome).toMatchObject({ ok: true, templates: 2, poolWorks: true });
    expect(outcome.throughPool).toBe(1);
  });
});
