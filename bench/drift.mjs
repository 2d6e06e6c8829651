// `prodguard db drift` on a large real Prisma history against the manual way of checking drift: replay the
// same files with psql into a fresh database, pg_dump --schema-only both databases, diff the dumps.
// Usage: npm run build && node bench/drift.mjs [history-folder] [--quick]
//   --quick: the first 25 migrations, one run (CI runs it so the bench keeps working; not a measurement).
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
  join(repo, '../shared/data/prisma-migrations/triggerdotdev__trigger.dev/migrations');
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
const runs = quick ? 1 : 3;
// The manual way needs PostgreSQL's client tools.
const missingTools = ['psql', 'pg_dump'].filter(
  (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0,
);
if (missingTools.length > 0)
  console.log(
    `${missingTools.join(' and ')} not installed: skipping the manual baseline (psql replay + pg_dump).`,
  );
const server = await openScratchServer(process.env.BENCH_SERVER_URL);
const project = mkdtempSync(join(tmpdir(), 'prodguard-bench-drift-'));
console.log(`${names.length} migrations from ${history}; PostgreSQL: ${server.description}`);
try {
  const target = await server.createDatabase('bench_drift');
  writeFileSync(
    join(project, 'prodguard.yaml'),
    `version: 1\nproject:\n  name: bench\ndatabase:\n  migrations: ${JSON.stringify(history)}\n  shadowUrlEnv: BENCH_SHADOW_URL\nenvironments:\n  local:\n    database:\n      urlEnv: BENCH_DATABASE_URL\n`,
  );
  const shadow = new URL(target.url);
  shadow.pathname = '/postgres';
  const env = {
    ...process.env,
    BENCH_DATABASE_URL: target.url,
    BENCH_SHADOW_URL: shadow.toString(),
    PRODGUARD_ACTOR: 'bench',
  };
  const cli = (args) =>
    nodeProcessRunner.run(process.execPath, [join(repo, 'bin/prodguard.js'), ...args], {
      cwd: project,
      env,
      timeoutMs: 1_800_000,
    });
  const deploy = await cli(['migrate', 'deploy', 'local']);
  if (deploy.failed) throw new Error(`setup deploy failed: ${deploy.stdout.slice(-2000)}${deploy.stderr}`);

  const ours = [];
  const manual = [];
  let differences = 0;
  for (let i = 0; i < runs; i++) {
    let started = performance.now();
    const drift = await cli(['db', 'drift', 'local', '--json']);
    ours.push(performance.now() - started);
    differences = JSON.parse(drift.stdout).differences.length;
    if (missingTools.length > 0) continue;

    started = performance.now();
    const scratch = await server.createDatabase('bench_manual');
    const script = names.map((n) => readFileSync(join(history, n, 'migration.sql'), 'utf8')).join('\n;\n');
    const sc = libpqConnection(scratch.url);
    const psql = await nodeProcessRunner.run(
      'psql',
      ['-X', '-q', '-v', 'ON_ERROR_STOP=1', `--dbname=${sc.dbname}`],
      {
        cwd: project,
        env: { ...process.env, ...sc.env },
        input: script,
        timeoutMs: 1_800_000,
      },
    );
    if (psql.failed) throw new Error(`psql replay failed: ${psql.stderr.slice(-1000)}`);
    const dumps = await Promise.all(
      [scratch.url, target.url].map((url) => {
        const c = libpqConnection(url);
        return nodeProcessRunner.run(
          'pg_dump',
          ['--schema-only', '--no-owner', '--exclude-table=_prisma_migrations', `--dbname=${c.dbname}`],
          { cwd: project, env: { ...process.env, ...c.env }, maxBuffer: 256 * 1024 * 1024 },
        );
      }),
    );
    // pg_dump 15.14+ frames its output with a random \restrict key: not schema, leave it out.
    const schemaText = (r) => r.stdout.replace(/^\\(un)?restrict .*$/gm, '');
    const same = schemaText(dumps[0]) === schemaText(dumps[1]);
    manual.push(performance.now() - started);
    if (i === 0) {
      const a = schemaText(dumps[0]).split('\n');
      const b = new Set(schemaText(dumps[1]).split('\n'));
      const firstDiff = a.find((line) => !b.has(line));
      console.log(
        `manual check: schema dumps ${same ? 'identical' : `differ as text (first line only in the replay: ${JSON.stringify(firstDiff ?? '(order only)')})`}`,
      );
    }
    await scratch.drop();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `prodguard db drift: ${median(ours).toFixed(0)} ms, ${differences} difference(s) (median of ${runs})`,
  );
  if (manual.length > 0) {
    console.log(
      `psql replay + 2× pg_dump --schema-only + compare: ${median(manual).toFixed(0)} ms (median of ${runs})`,
    );
    console.log(`ratio prodguard/manual drift time: ${(median(ours) / median(manual)).toFixed(2)}x`);
  }
  await target.drop();
} finally {
  await server.close();
  rmSync(project, { recursive: true, force: true });
  if (history !== source) rmSync(history, { recursive: true, force: true });
}
