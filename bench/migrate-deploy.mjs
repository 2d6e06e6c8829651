// `prodguard migrate deploy` on a large real Prisma history vs piping the same files through psql, then
// `prodguard db drift` on the resulting schema. PostgreSQL: an embedded one started here (or BENCH_SERVER_URL,
// a server URL allowed to CREATE DATABASE).
// Usage: npm run build && node bench/migrate-deploy.mjs [history-folder] [--quick]
//   --quick: the first 25 migrations (CI runs it so the bench keeps working; not a measurement).
import './shared/bench-sandbox.mjs';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libpqConnection, openScratchServer } from '../dist/database/index.js';
import { nodeProcessRunner } from '../dist/kernel/process-runner.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const source =
  process.argv.slice(2).find((a) => !a.startsWith('--')) ??
  join(repo, '../shared/data/prisma-migrations/langfuse__langfuse/migrations');
if (!existsSync(source)) {
  console.log(`skipped: ${source} not found`);
  process.exit(0);
}
let names = readdirSync(source)
  .filter((n) => existsSync(join(source, n, 'migration.sql')))
  .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
let history = source;
if (quick) {
  // The first migrations of the history, in a temp folder the project can point at.
  names = names.slice(0, 25);
  history = mkdtempSync(join(tmpdir(), 'prodguard-bench-history-'));
  for (const n of names) cpSync(join(source, n), join(history, n), { recursive: true });
}
console.log(`${names.length} migrations from ${source}`);
const hasPsql = spawnSync('sh', ['-c', 'command -v psql']).status === 0;
if (!hasPsql) console.log('psql is not installed: skipping the psql baseline.');

const server = await openScratchServer(process.env.BENCH_SERVER_URL);
console.log(`PostgreSQL: ${server.description}`);
const project = mkdtempSync(join(tmpdir(), 'prodguard-bench-'));
try {
  const viaPsql = await server.createDatabase('bench_psql');
  const viaProdguard = await server.createDatabase('bench_prodguard');

  // Baseline: every file, in order, piped through one psql session (no bookkeeping, no locks, no checks).
  const script = names.map((n) => readFileSync(join(history, n, 'migration.sql'), 'utf8')).join('\n;\n');
  const conn = libpqConnection(viaPsql.url);
  let started = performance.now();
  let psqlMs = Number.NaN;
  if (hasPsql) {
    const psql = await nodeProcessRunner.run(
      'psql',
      ['-X', '-q', '-v', 'ON_ERROR_STOP=1', `--dbname=${conn.dbname}`],
      {
        cwd: project,
        env: { ...process.env, ...conn.env },
        input: script,
        timeoutMs: 1_800_000,
      },
    );
    psqlMs = performance.now() - started;
    if (psql.failed) throw new Error(`psql failed: ${psql.stderr.slice(-2000)}`);
  }

  writeFileSync(
    join(project, 'prodguard.yaml'),
    `version: 1\nproject:\n  name: bench\ndatabase:\n  migrations: ${JSON.stringify(history)}\n  shadowUrlEnv: BENCH_SHADOW_URL\nenvironments:\n  local:\n    database:\n      urlEnv: BENCH_DATABASE_URL\n`,
  );
  const shadowUrl = new URL(viaProdguard.url);
  shadowUrl.pathname = '/postgres';
  const env = {
    ...process.env,
    BENCH_DATABASE_URL: viaProdguard.url,
    BENCH_SHADOW_URL: shadowUrl.toString(),
    PRODGUARD_ACTOR: 'bench',
  };
  const cli = (args) =>
    nodeProcessRunner.run(process.execPath, [join(repo, 'bin/prodguard.js'), ...args], {
      cwd: project,
      env,
      timeoutMs: 1_800_000,
    });
  started = performance.now();
  const deploy = await cli(['migrate', 'deploy', 'local']);
  const deployMs = performance.now() - started;
  if (deploy.failed)
    throw new Error(`prodguard migrate deploy failed:\n${deploy.stdout.slice(-3000)}\n${deploy.stderr}`);

  started = performance.now();
  const drift = await cli(['db', 'drift', 'local', '--json']);
  const driftMs = performance.now() - started;
  const driftResult = JSON.parse(drift.stdout);

  if (hasPsql) console.log(`psql, all files piped through one session: ${psqlMs.toFixed(0)} ms`);
  console.log(
    `prodguard migrate deploy (a transaction, _prisma_migrations rows and timeouts per migration): ${deployMs.toFixed(0)} ms`,
  );
  if (hasPsql) console.log(`ratio prodguard/psql deploy time: ${(deployMs / psqlMs).toFixed(2)}x`);
  console.log(
    `prodguard db drift (replay ${driftResult.replayed.length} migrations into a scratch database + compare catalogs): ${driftMs.toFixed(0)} ms, ${driftResult.differences.length} difference(s)`,
  );
  if (hasPsql) console.log(`ratio drift/psql replay time: ${(driftMs / psqlMs).toFixed(2)}x`);
  await viaPsql.drop();
  await viaProdguard.drop();
} finally {
  await server.close();
  rmSync(project, { recursive: true, force: true });
  if (history !== source) rmSync(history, { recursive: true, force: true });
}
