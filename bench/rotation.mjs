// The outage, measured: the example résumé API (on the Prisma 7 client) on the local platform under steady load (50 clients), while
// its database password is rotated three ways, each over a window of at least 20,000 requests:
//   1. alternating users (prodguard's default): two roles, so old and new revisions both log in;
//   2. the seed's single-user protocol (new secret version → roll out → ALTER ROLE → wait);
//   3. a naive ALTER ROLE on production, the Nov 7 outage.
// Usage: npm run build && node bench/rotation.mjs [--clients 50] [--requests 20000] [--quick]
//   --quick: 5 clients, 500-request windows (CI runs it so the bench keeps working; not a measurement).

// First: it sets TMPDIR and the state home before anything else runs.
import './shared/bench-sandbox.mjs';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DemoCli } from '../dist/demo/demo-cli.js';
import { startDemoDatabase } from '../dist/demo/demo-database.js';
import { LoadGenerator } from '../dist/demo/load-generator.js';
import { freePort } from '../dist/kernel/free-port.js';
import { nodeProcessRunner } from '../dist/kernel/process-runner.js';
import { benchFolder } from './shared/bench-sandbox.mjs';

const { values } = parseArgs({
  options: { clients: { type: 'string' }, requests: { type: 'string' }, quick: { type: 'boolean' } },
});
const clients = Number(values.clients ?? (values.quick ? 5 : 50));
const windowRequests = Number(values.requests ?? (values.quick ? 500 : 20_000));
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// In the repository, where the example app finds its node_modules.
const work = benchFolder(join(ROOT, '.demo', `bench-rotation-${process.pid}`));
const repo = join(work, 'cvstomize-api');
mkdirSync(repo, { recursive: true });
const quiet = process.env.VERBOSE ? (t) => process.stdout.write(t) : () => {};
const env = { ...process.env, PRODGUARD_ACTOR: 'bench@cvstomize.dev', NO_COLOR: '1' };
delete env.PRODGUARD_MASTER_KEY;
const cli = new DemoCli({ bin: join(ROOT, 'bin', 'prodguard.js'), cwd: repo, env, print: quiet });
const git = async (...args) => {
  const r = await nodeProcessRunner.run('git', args, { cwd: repo, env });
  if (r.failed) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
};

const database = await startDemoDatabase(join(work, 'postgres'));
let load;
try {
  const adminUrl = database.adminUrl('production');
  cpSync(join(ROOT, 'examples', 'cvstomize-api'), repo, {
    recursive: true,
    filter: (p) => !/node_modules|FAULTY_RELEASE|[/\\]test([/\\]|$)/.test(p),
  });
  writeFileSync(
    join(repo, 'prodguard.yaml'),
    `version: 1
project: { name: cvstomize }
timezone: UTC
# the example app is a workspace of this repository: releases built beside it resolve its node_modules
stateDir: ../state
tests: { command: "node --check server.js" }
freeze: { weekdays: [] }
watch: 5s
app:
  start: node server.js
  healthPath: /health
  startupTimeout: ${values.quick ? '10s' : '60s'}  # how long the single-user rollout's revision may fail its health check
  agentPort: ${await freePort()}
  env:
    DB_MAX_LIFETIME_SECONDS: "2"   # pools retire connections quickly, so a stale password shows within seconds
    DB_POOL_MAX: "10"
deploy:
  strategy: all-at-once
  analysis: { interval: 1s, window: 5s, consecutiveBreaches: 2, minRequests: 10, holdTimeout: 30s }
secrets:
  groupRole: cvstomize_app
  propagationInterval: 500ms
  authWatch: 5s
database:
  migrations: prisma/migrations
environments:
  production:
    protected: true
    database: { urlEnv: PRODUCTION_DATABASE_URL }
rules:
  coverage-minimums: { severity: off }
  change-documented: { severity: off }
`,
  );
  writeFileSync(join(repo, '.gitignore'), '.prodguard/\n');
  await git('init', '-q', '-b', 'main');
  await git('-c', 'user.email=bench@x', '-c', 'user.name=bench', 'add', '-A');
  await git('-c', 'user.email=bench@x', '-c', 'user.name=bench', 'commit', '-q', '-m', 'app');

  await cli.run(['secrets', 'add', 'DATABASE_URL_ADMIN', '--env', 'production', '--kind', 'external'], {
    input: adminUrl,
    quiet: true,
  });
  await cli.run(['secrets', 'add', 'JWT_SECRET', '--env', 'production', '--kind', 'random'], {
    input: database.jwtSecret('production'),
    quiet: true,
  });
  await cli.run(['secrets', 'setup-roles', '--env', 'production'], { quiet: true });
  const v1 = (
    await cli.run(['secrets', 'get', 'DATABASE_URL', '--env', 'production', '--reveal'], { quiet: true })
  ).stdout.trim();
  cli.setEnv('PRODUCTION_DATABASE_URL', v1);
  await cli.run(
    [
      'migrate',
      'deploy',
      'production',
      '--override',
      'migration-backup',
      '--reason',
      'benchmark database',
      '--override',
      'migration-rollback-tested',
      '--reason',
      'benchmark database',
    ],
    { quiet: true },
  );
  await cli.run(['up', '--detach'], { quiet: true });
  await cli.deploy(['deploy', 'production'], 0);
  const status = JSON.parse((await cli.run(['status', '--json'], { quiet: true })).stdout);
  const url = status.services.find((s) => s.name === 'production').url;

  load = new LoadGenerator({
    url,
    concurrency: clients,
    pauseMs: 0,
    maxRequests: 10_000_000,
    paths: ['/api/templates'],
  });
  load.start();
  await new Promise((r) => setTimeout(r, 2000));
  const prisma = await prismaRow(url, load);

  /** Runs one scenario and keeps the load on until the window holds at least windowRequests requests. */
  async function scenario(name, fn) {
    const from = load.now();
    let outcome;
    try {
      outcome = await fn();
    } catch (error) {
      outcome = `error: ${String(error.message).split('\n')[0]}`;
    }
    while (load.between(from, load.now()).served < windowRequests)
      await new Promise((r) => setTimeout(r, 200));
    const window = load.between(from, load.now());
    return { name, ...window, seconds: (load.now() - from) / 1000, outcome };
  }

  const results = [];
  results.push(
    await scenario('alternating users (prodguard default)', async () => {
      const r = await cli.run(['secrets', 'rotate', 'DATABASE_URL', '--env', 'production', '--json'], {
        quiet: true,
        expect: 0,
      });
      return JSON.parse(r.stdout).outcome ?? 'succeeded';
    }),
  );
  results.push(
    await scenario('single-user protocol (seed §4)', async () => {
      const r = await nodeProcessRunner.run(
        process.execPath,
        [
          join(ROOT, 'bin', 'prodguard.js'),
          'secrets',
          'rotate',
          'DATABASE_URL',
          '--env',
          'production',
          '--strategy',
          'single-user',
          '--previous-retired',
          '--json',
        ],
        { cwd: repo, env, timeoutMs: 300_000 },
      );
      const parsed = (() => {
        try {
          return JSON.parse(r.stdout);
        } catch {
          return {};
        }
      })();
      return `exit ${r.exitCode}${parsed.outcome ? ` (${parsed.outcome})` : ''}`;
    }),
  );
  results.push(
    await scenario('naive ALTER ROLE on production (the outage)', async () => {
      // What happened on Nov 7: the password is changed on the database, the app keeps the old one.
      const serving = (
        await cli.run(['secrets', 'get', 'DATABASE_URL', '--env', 'production', '--reveal'], { quiet: true })
      ).stdout.trim();
      const user = new URL(serving).username;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`ALTER ROLE ${user} PASSWORD 'changed-by-hand-${Date.now()}'`);
      await admin.end();
      return `ALTER ROLE ${user}, app not updated`;
    }),
  );
  await load.stop();
  load = undefined;

  const baseline = results[2];
  console.log(
    `password rotation under load: ${clients} clients on the example app through the local platform router`,
  );
  console.log(
    `every row goes through the Prisma 7 client on the runtime's pool (@prisma/client ${prisma.client}, @prisma/adapter-pg ${prisma.adapter}): ${prisma.served} requests took ${prisma.acquired} pooled connections (${(prisma.acquired / prisma.served).toFixed(2)} per request)`,
  );
  console.log(
    [
      'strategy'.padEnd(44),
      'requests'.padStart(9),
      'failed'.padStart(8),
      'failed %'.padStart(9),
      'vs naive'.padStart(9),
      '  outcome',
    ].join(''),
  );
  for (const r of results) {
    const ratio = baseline.failed ? (r.failed / baseline.failed).toFixed(3) : '-';
    console.log(
      [
        r.name.padEnd(44),
        String(r.served).padStart(9),
        String(r.failed).padStart(8),
        `${((r.failed / r.served) * 100).toFixed(2)}%`.padStart(9),
        `${ratio}x`.padStart(9),
        `  ${r.outcome}`,
      ].join(''),
    );
  }
} finally {
  await load?.stop();
  await cli.run(['down'], { quiet: true }).catch(() => {});
  await database.stop().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}

/**
 * The Prisma row: the app serves /api/templates with the Prisma 7 client (examples/cvstomize-api/src/database.js);
 * the resilient pool counts each connection it hands out (db_pool_acquired_total), so about one per request
 * proves that Prisma's queries, and the rotations measured after, go through that pool.
 */
async function prismaRow(url, load) {
  const acquired = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^db_pool_acquired_total (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
  };
  const versions = JSON.parse(
    readFileSync(join(ROOT, 'examples', 'cvstomize-api', 'package.json'), 'utf8'),
  ).dependencies;
  const from = load.now();
  const before = await acquired();
  for (let i = 0; i < 600 && load.between(from, load.now()).served < 2000; i++)
    await new Promise((r) => setTimeout(r, 100));
  const after = await acquired();
  return {
    served: load.between(from, load.now()).served,
    acquired: after - before,
    client: versions['@prisma/client'],
    adapter: versions['@prisma/adapter-pg'],
  };
}
