import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completeRevisionEnv, planRevisionEnv } from '../../../src/platform/local/plan-revision-env.js';
import {
  addSecretVersion,
  pgRoleAdmin,
  resolveSecretEnv,
  rotateSecret,
  setupRoles,
} from '../../../src/secrets/index.js';
import { createSecretsHarness, PoolRoller, type SecretsHarness } from './secrets-harness.js';

const ENV = 'staging';
const NAME = 'DATABASE_URL';
/** The app reads its database settings one by one; none of them is a URL. */
const APP_ENV = {
  DB_HOST: '{secret.DATABASE_URL.host}',
  DB_PORT: '{secret.DATABASE_URL.port}',
  DB_NAME: '{secret.DATABASE_URL.database}',
  DB_USER: '{secret.DATABASE_URL.user}',
  DB_PASSWORD: '{secret.DATABASE_URL.password}',
};

/** Revisions whose environment is rendered by the platform's own planner, and whose pool is built from parts. */
class PartsRoller extends PoolRoller {
  seq = 0;
  readonly users: string[] = [];

  override async start(pins: Record<string, number>): Promise<string> {
    const secrets = { [NAME]: { version: pins[NAME]!, envVar: NAME } };
    const plan = planRevisionEnv({
      environment: ENV,
      revision: `r${this.seq}`,
      commit: 'c',
      digest: 'd',
      port: 1,
      url: 'http://127.0.0.1:1',
      appEnv: APP_ENV,
      platformEnv: {},
      specEnv: {},
      secrets,
      inherited: {},
    });
    const env = completeRevisionEnv(plan, secrets, await resolveSecretEnv(this.vault, ENV, pins));
    const pool = new pg.Pool({
      host: env.DB_HOST!,
      port: Number(env.DB_PORT),
      database: env.DB_NAME!,
      user: env.DB_USER!,
      password: env.DB_PASSWORD!,
      max: 2,
      connectionTimeoutMillis: 5000,
    });
    pool.on('error', () => {});
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      await pool.end();
      throw error;
    }
    this.users.push(env.DB_USER!);
    const revision = `${ENV}-parts-${++this.seq}`;
    this.revisions.push({ revision, pins: { ...pins }, pool });
    return revision;
  }
}

describe('an app reading DB_USER / DB_PASSWORD rotates with alternating users (real PostgreSQL)', () => {
  let h: SecretsHarness;
  let roller: PartsRoller;
  beforeEach(async () => {
    h = await createSecretsHarness();
    await addSecretVersion(h.ctx, {
      name: `${NAME}_ADMIN`,
      environment: ENV,
      kind: 'external',
      value: h.adminUrl,
    });
    await setupRoles(h.ctx, { name: NAME, environment: ENV }, { postgres: pgRoleAdmin });
    roller = new PartsRoller(h.ctx.vault, ENV);
    h.ctx.roller = roller;
    h.ctx.running = roller;
    await roller.start(h.ctx.pins.forEnvironment(ENV));
  });
  afterEach(async () => {
    await roller.close();
    await h.close();
  });

  it('serves every request during two rotations while DB_USER alternates', async () => {
    let done = false;
    let ok = 0;
    const failures: string[] = [];
    const traffic = (async () => {
      for (let i = 0; i < 1_000_000 && !done; i++) {
        try {
          await roller.query('SELECT session_user AS u');
          ok++;
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    })();
    try {
      for (let n = 0; n < 2; n++) {
        const result = await rotateSecret(h.ctx, { name: NAME, environment: ENV }, h.deps());
        expect(result.outcome, result.error?.message).toBe('succeeded');
      }
    } finally {
      done = true;
      await traffic;
    }
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    expect(roller.users).toEqual([`${h.group}_a`, `${h.group}_b`, `${h.group}_a`]);
    expect((await roller.query('SELECT session_user AS u')).rows[0].u).toBe(`${h.group}_a`);
  });
});
