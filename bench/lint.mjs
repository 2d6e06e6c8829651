// Lint throughput on real Prisma migration histories: prodguard's linter vs squawk-cli, same files, same run.
// Usage: npm run build && node bench/lint.mjs [--quick] [migrations-root]
//   --quick: the first 100 migrations of each project, one run (a smoke check, about 10 s)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintMigration, lintMigrationHistory } from '../dist/database/index.js';
import { nodeProcessRunner } from '../dist/kernel/process-runner.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const root = args.find((a) => !a.startsWith('--')) ?? join(repo, '../shared/data/prisma-migrations');
const perProject = quick ? 100 : Number.POSITIVE_INFINITY;
if (!existsSync(root)) {
  console.log(`skipped: ${root} not found`);
  process.exit(0);
}
const files = [];
for (const project of readdirSync(root).sort()) {
  const dir = join(root, project, 'migrations');
  if (!existsSync(dir)) continue;
  const names = readdirSync(dir)
    .sort()
    .filter((name) => existsSync(join(dir, name, 'migration.sql')));
  for (const name of names.slice(0, perProject)) files.push(join(dir, name, 'migration.sql'));
}
const texts = files.map((f) => readFileSync(f, 'utf8'));
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
console.log(`${files.length} migration files, ${(bytes / 1e6).toFixed(1)} MB, from ${root}`);

async function prodguardRun() {
  const started = performance.now();
  let errors = 0;
  let warnings = 0;
  for (const [i, text] of texts.entries()) {
    const result = await lintMigration(text, files[i]);
    for (const f of result.findings) f.severity === 'error' ? errors++ : warnings++;
  }
  return { ms: performance.now() - started, errors, warnings };
}

/**
 * squawk-cli is the baseline, not a dependency: its npm package lists platform binaries for every OS as
 * optional dependencies, which breaks `npm ci` where the registry serves only some of them. It is
 * installed on demand into a cache folder (the npm package ships the binary; nothing else is downloaded).
 */
async function squawkBin() {
  const prefix = join(repo, 'node_modules/.cache/bench-squawk');
  const bin = join(prefix, 'node_modules/.bin/squawk');
  if (!existsSync(bin)) {
    // --quick keeps the bench from rotting in CI; it does not install the baseline.
    if (quick) return { reason: 'squawk-cli is not installed and --quick does not install it' };
    const install = await nodeProcessRunner.run(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, 'squawk-cli@2.66.0'],
      { cwd: repo, timeoutMs: 300_000 },
    );
    if (install.failed || !existsSync(bin))
      return {
        reason: `could not install squawk-cli@2.66.0: ${(install.stderr || install.spawnError || '').toString().trim().split('\n').pop()}`,
      };
  }
  return { bin };
}

async function squawkRun() {
  const { bin, reason } = await squawkBin();
  if (!bin) return { skipped: reason };
  const started = performance.now();
  // One process for all files, as CI would call it; --reporter json keeps output parsing cheap.
  const result = await nodeProcessRunner.run(bin, ['--reporter', 'json', ...files], {
    cwd: repo,
    timeoutMs: 600_000,
    maxBuffer: 512 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  let findings = Number.NaN;
  try {
    findings = JSON.parse(result.stdout).length;
  } catch {}
  return { ms, findings, exitCode: result.exitCode, spawnError: result.spawnError };
}

async function cliRun() {
  // --quick passes the files themselves; the full run passes each project's migrations folder
  const targets = quick
    ? files
    : readdirSync(root)
        .sort()
        .map((project) => join(root, project, 'migrations'))
        .filter((dir) => existsSync(dir));
  const started = performance.now();
  const result = await nodeProcessRunner.run(
    process.execPath,
    [join(repo, 'bin/prodguard.js'), 'migrate', 'lint', '--json', ...targets],
    { cwd: repo, timeoutMs: 600_000, maxBuffer: 512 * 1024 * 1024 },
  );
  return { ms: performance.now() - started, exitCode: result.exitCode };
}

// Warm up the WASM parser once (module load is a one-time cost the CLI also pays).
await lintMigration('SELECT 1;', 'warmup.sql');
const runs = quick ? 1 : 3;
const ours = [];
const theirs = [];
const cli = [];
for (let i = 0; i < runs; i++) {
  ours.push(await prodguardRun());
  theirs.push(await squawkRun());
  cli.push(await cliRun());
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const oursMs = median(ours.map((r) => r.ms));
console.log(
  `prodguard migrate lint: ${oursMs.toFixed(0)} ms (${((files.length / oursMs) * 1000).toFixed(0)} files/s), ${ours[0].errors} errors, ${ours[0].warnings} warnings`,
);
const historyStarted = performance.now();
await lintMigrationHistory(files.map((f, i) => ({ sql: texts[i], file: f })));
console.log(
  `prodguard lintMigrationHistory (schema carried across files): ${(performance.now() - historyStarted).toFixed(0)} ms`,
);
const cliMs = median(cli.map((r) => r.ms));
console.log(`prodguard CLI end to end (node start-up, one process, all files): ${cliMs.toFixed(0)} ms`);
if (theirs[0].skipped) {
  console.log(`squawk-cli baseline skipped: ${theirs[0].skipped}`);
} else if (theirs[0].spawnError) {
  console.log(`squawk-cli baseline skipped: could not run (${theirs[0].spawnError})`);
} else {
  const theirsMs = median(theirs.map((r) => r.ms));
  console.log(
    `squawk-cli 2.66 (one process, all files): ${theirsMs.toFixed(0)} ms (${((files.length / theirsMs) * 1000).toFixed(0)} files/s), ${theirs[0].findings} findings`,
  );
  console.log(`ratio prodguard CLI/squawk time: ${(cliMs / theirsMs).toFixed(2)}x`);
  console.log(
    `ratio prodguard/squawk time: ${(oursMs / theirsMs).toFixed(2)}x (linter alone, median of ${runs} run(s); < 1 means prodguard is faster)`,
  );
}
