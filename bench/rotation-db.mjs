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
import './shared/bench-sandbox.mjs';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../dist/kernel/free-port.js';
import { loadEmbeddedPostgres } from '../dist/kernel/index.js';
import { rotationScenario, rotationStrategies } from './shared/rotation-under-load.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const QUICK = process.argv.includes('--quick');
const QUERIES = arg('queries', QUICK ? 1_000 : 20_000);
const CONCURRENCY = arg('concurrency', QUICK ? 8 : 50);
const NAIVE_FIX_MS = arg('naive-fix-ms', QUICK ? 200 : 1000);

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
  for (const [name, rotate] of Object.entries(rotationStrategies(NAIVE_FIX_MS)))
    results.push(
      await rotationScenario(cluster, name, rotate, { queries: QUERIES, concurrency: CONCURRENCY }),
    );
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
