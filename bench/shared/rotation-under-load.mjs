// Database password rotation under pooled load, shared by bench/rotation-db.mjs and the Nov 7 replay in
// bench/replay.mjs: the app's pools, the rollout that swaps them, one scenario run, and the three strategies.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AuditLog } from '../../dist/audit/index.js';
import { parseConfigText } from '../../dist/config/index.js';
import { silentLogger, systemClock } from '../../dist/kernel/index.js';
import { RULE_IDS } from '../../dist/rules/index.js';
import {
  addSecretVersion,
  openSecretVault,
  pgRoleAdmin,
  resolveSecretEnv,
  rotateSecret,
  SecretPins,
  setupRoles,
} from '../../dist/secrets/index.js';
import { StateStore } from '../../dist/store/index.js';

/** The app: queries go to the serving revision's pool; a rollout starts a new pool, then drains the old one. */
export class App {
  constructor(url) {
    this.serving = App.pool(url);
    this.pools = 1;
  }
  static pool(url) {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      maxLifetimeSeconds: 1,
      connectionTimeoutMillis: 5000,
    });
    pool.on('error', () => {});
    return pool;
  }
  query() {
    return this.serving.query('SELECT 1');
  }
  async swap(url, { health }) {
    const next = App.pool(url);
    if (health) await next.query('SELECT 1');
    const old = this.serving;
    this.serving = next;
    this.pools++;
    // Cloud Run drains the old revision; queries already queued on it finish there.
    setTimeout(() => old.end().catch(() => {}), 2000).unref();
  }
  async close() {
    await this.serving.end().catch(() => {});
  }
}

export async function rotationScenario(
  cluster,
  name,
  rotate,
  { queries: QUERIES, concurrency: CONCURRENCY },
) {
  const database = `bench_${name.replace(/[^a-z]/g, '')}`;
  const admin = new pg.Client({ connectionString: cluster.url('postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin.query(`CREATE DATABASE ${database}`);
  const dir = mkdtempSync(join(tmpdir(), 'prodguard-bench-rotation-'));
  const group = `${database}_app`;
  for (const role of [`${group}_a`, `${group}_b`, group]) await admin.query(`DROP ROLE IF EXISTS ${role}`);
  const config = parseConfigText(
    `version: 1\nproject: { name: bench }\nfreeze: { weekdays: [] }\nsecrets: { groupRole: ${group}, propagationInterval: 50ms, propagationTimeout: 30s }\nenvironments:\n  staging: { protected: true }\n`,
    join(dir, 'prodguard.yaml'),
    RULE_IDS,
  );
  const store = StateStore.open(join(dir, 'state.db'));
  const { vault, key } = openSecretVault({ store, clock: systemClock, env: {}, stateDir: dir });
  const ctx = {
    config,
    vault,
    pins: new SecretPins(store, systemClock),
    store,
    audit: new AuditLog(store, systemClock),
    clock: systemClock,
    log: silentLogger,
    actor: 'bench@example.com',
    knownSecrets: new Set(),
  };
  const ref = { name: 'DATABASE_URL', environment: 'staging' };
  await addSecretVersion(ctx, {
    name: 'DATABASE_URL_ADMIN',
    environment: 'staging',
    kind: 'external',
    value: cluster.url(database),
  });
  await setupRoles(ctx, { name: 'DATABASE_URL', environment: 'staging' }, { postgres: pgRoleAdmin });
  const app = new App(await vault.accessVersion(ref, 1));

  let done = 0;
  let failed = 0;
  const failures = [];
  const codes = {};
  let rotation;
  let rotationMs = 0;
  let rotationStartedAt;
  const trigger = Math.floor(QUERIES / 4);
  const started = performance.now();
  const worker = async () => {
    while (done < QUERIES || rotation === undefined || !rotation.settled) {
      if (done === trigger && rotation === undefined) {
        const t0 = performance.now();
        rotationStartedAt = Date.now();
        rotation = { settled: false, outcome: undefined };
        rotate({ ctx, ref, app, vault, key, cluster, database, group })
          .then((outcome) => (rotation.outcome = outcome))
          .catch((error) => (rotation.outcome = `error: ${error.message}`))
          .finally(() => {
            rotation.settled = true;
            rotationMs = performance.now() - t0;
          });
      }
      done++;
      try {
        await app.query();
      } catch (error) {
        failed++;
        failures.push(Date.now());
        const code = error.code ?? error.message.slice(0, 40);
        codes[code] = (codes[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  const auditActions = [...new Set(ctx.audit.list().map((e) => e.action))];
  await app.close();
  store.close();
  await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
  for (const role of [`${group}_a`, `${group}_b`, group]) await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
  return {
    name,
    queries: done,
    failed,
    codes,
    seconds,
    rotationMs,
    outcome: rotation?.outcome,
    pools: app.pools,
    failures,
    rotationStartedAt,
    auditActions,
  };
}

export function roller(app, vault, { health }) {
  return {
    rollout: async (environment, pins) => {
      const env = await resolveSecretEnv(vault, environment, pins);
      try {
        await app.swap(env.DATABASE_URL, { health });
        return { ok: true, revision: `staging-${String(app.pools).padStart(5, '0')}` };
      } catch (error) {
        return { ok: false, error: error.message };
      }
    },
  };
}

/** The three ways to change the password; the naive one is fixed by hand `naiveFixMs` later. */
export const rotationStrategies = (naiveFixMs) => ({
  'alternating users': async ({ ctx, app, vault, key }) => {
    ctx.roller = roller(app, vault, { health: true });
    const result = await rotateSecret(
      ctx,
      { name: 'DATABASE_URL', environment: 'staging' },
      { postgres: pgRoleAdmin, key },
    );
    return result.outcome;
  },
  'single-user (seed §4)': async ({ ctx, app, vault, key }) => {
    // The seed protocol's new revision must pass its health check before the password changes, so its
    // pool connects lazily (as Prisma does); with a database health check the rollout would fail instead.
    ctx.roller = roller(app, vault, { health: false });
    const result = await rotateSecret(
      ctx,
      { name: 'DATABASE_URL', environment: 'staging', strategy: 'single-user' },
      { postgres: pgRoleAdmin, key },
    );
    return result.outcome;
  },
  'naive ALTER ROLE': async ({ ctx, ref, app, vault, cluster, database, group }) => {
    const password = `naive-${Math.random().toString(36).slice(2)}`;
    const current = await vault.accessVersion(ref, 1);
    await pgRoleAdmin.setPassword(cluster.url(database), `${group}_a`, password);
    // …someone notices, adds the secret version and redeploys.
    await new Promise((r) => setTimeout(r, naiveFixMs));
    const url = new URL(current);
    url.password = password;
    await addSecretVersion(ctx, { name: 'DATABASE_URL', environment: 'staging', value: url.toString() });
    await app.swap(url.toString(), { health: true });
    return `fixed after ${naiveFixMs} ms`;
  },
});
