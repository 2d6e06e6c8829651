// Database password rotation under load: ≥ 50 concurrent clients run ≥ 20,000 queries through the app's
// pg pools (the serving revision's pool, and the next revision's pool during a rollout) while the password
// is rotated three ways, each measured in this run on a fresh role set of one embedded PostgreSQL 15
// cluster with scram-sha-256:
//   (a) alternating users: prodguard secrets rotate (create → set → test → add-version → pin → rollout)
//   (b) single-user: the seed's protocol (new version → roll out → ALTER ROLE → wait until it works)
//   (c) naive: ALTER ROLE on the live role, the secret and the app updated a moment later (the outage)
// Pools retire connections after 1 s (maxLifetimeSeconds), as prodguard/runtime recommends, so stale
// credentials show up within the run instead of at the next restart.
//
//   npm run build && node bench/rotation-db.mjs [--queries 20000] [--concurrency 50] [--naive-fix-ms 1000] [--quick]
//   --quick: 1,000 queries from 8 clients, fixed after 200 ms (CI runs it so the bench keeps working; not a measurement).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { AuditLog } from '../dist/audit/index.js';
import { parseConfigText } from '../dist/config/index.js';
import { loadEmbeddedPostgres, silentLogger, systemClock } from '../dist/kernel/index.js';
import { RULE_IDS } from '../dist/rules/index.js';
import {
  addSecretVersion,
  openSecretVault,
  pgRoleAdmin,
  resolveSecretEnv,
  rotateSecret,
  SecretPins,
  setupRoles,
} from '../dist/secrets/index.js';
import { StateStore } from '../dist/store/index.js';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const QUICK = process.argv.includes('--quick');
const QUERIES = arg('queries', QUICK ? 1_000 : 20_000);
const CONCURRENCY = arg('concurrency', QUICK ? 8 : 50);
const NAIVE_FIX_MS = arg('naive-fix-ms', QUICK ? 200 : 1000);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The app: queries go to the serving revision's pool; a rollout starts a new pool, then drains the old one. */
class App {
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

async function scenario(cluster, name, rotate) {
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
  const codes = {};
  let rotation;
  let rotationMs = 0;
  const trigger = Math.floor(QUERIES / 4);
  const started = performance.now();
  const worker = async () => {
    while (done < QUERIES || rotation === undefined || !rotation.settled) {
      if (done === trigger && rotation === undefined) {
        const t0 = performance.now();
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
        const code = error.code ?? error.message.slice(0, 40);
        codes[code] = (codes[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
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
  };
}

function roller(app, vault, { health }) {
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

const strategies = {
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
    await new Promise((r) => setTimeout(r, NAIVE_FIX_MS));
    const url = new URL(current);
    url.password = password;
    await addSecretVersion(ctx, { name: 'DATABASE_URL', environment: 'staging', value: url.toString() });
    await app.swap(url.toString(), { health: true });
    return `fixed after ${NAIVE_FIX_MS} ms`;
  },
};

const dir = mkdtempSync(join(tmpdir(), 'prodguard-bench-pg-'));
chmodSync(dir, 0o755);
const port = await freePort();
const password = 'bench-superuser-pw';
const EmbeddedPostgres = await loadEmbeddedPostgres();
const server = new EmbeddedPostgres({
  databaseDir: join(dir, 'data'),
  port,
  user: 'postgres',
  password,
  authMethod: 'scram-sha-256',
  persistent: false,
  createPostgresUser: process.getuid?.() === 0,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
  onLog: () => {},
  onError: () => {},
});
await server.initialise();
await server.start();
const cluster = { url: (db) => `postgresql://postgres:${password}@127.0.0.1:${port}/${db}` };
const results = [];
try {
  for (const [name, rotate] of Object.entries(strategies))
    results.push(await scenario(cluster, name, rotate));
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `\nPassword rotation under load: ${CONCURRENCY} concurrent clients, ≥ ${QUERIES} queries each run, pools max 10, maxLifetimeSeconds 1\n`,
);
const baseline = results.find((r) => r.name === 'naive ALTER ROLE');
const rows = [
  ['strategy', 'queries', 'failed', 'failed %', 'vs naive', 'q/s', 'rotation', 'outcome', 'errors'],
  ...results.map((r) => [
    r.name,
    String(r.queries),
    String(r.failed),
    `${((100 * r.failed) / r.queries).toFixed(2)}%`,
    baseline.failed ? `${(r.failed / baseline.failed).toFixed(3)}x` : '-',
    String(Math.round(r.queries / r.seconds)),
    `${Math.round(r.rotationMs)} ms`,
    String(r.outcome),
    Object.entries(r.codes)
      .map(([code, n]) => `${code}×${n}`)
      .join(' ') || '-',
  ]),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
for (const row of rows)
  console.log(
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
