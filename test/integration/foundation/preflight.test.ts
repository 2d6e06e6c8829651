import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { nodeProcessRunner, silentLogger, systemClock } from '../../../src/kernel/index.js';
import { preflightDeployChecks } from '../../../src/preflight/index.js';
import { StateStore } from '../../../src/store/index.js';
import { runProdguard } from '../../helpers/cli.js';
import type { TempRepo } from '../../helpers/git-repo.js';
import { type HealthServer, useProjects } from './project.js';

interface CheckJson {
  id: string;
  status: string;
  message: string;
  hint?: string;
  durationMs: number;
}
interface PreflightJson {
  env: string;
  ok: boolean;
  checks: CheckJson[];
}

// A Wednesday, so the weekday rule passes unless a test asks about a Friday.
const WEDNESDAY = '2026-12-02T15:00:00Z';
const FRIDAY = '2026-12-04T15:00:00Z';

const projects = useProjects();
const project = projects.project;
let health: HealthServer;
beforeAll(() => {
  health = projects.health();
});

async function preflight(repo: TempRepo, args: string[] = [], env?: NodeJS.ProcessEnv) {
  const result = await runProdguard(['preflight', 'production', '--json', '--at', WEDNESDAY, ...args], {
    cwd: repo.dir,
    ...(env ? { env } : {}),
  });
  const json = JSON.parse(result.stdout) as PreflightJson;
  const check = (id: string) => json.checks.find((c) => c.id === id)!;
  return { result, json, check };
}

describe('prodguard preflight (real git, real CLI, real HTTP)', () => {
  it('passes every check on a clean, documented, tested, covered main branch with staging healthy', async () => {
    const repo = await project();
    const { result, json, check } = await preflight(repo);
    expect(json.checks.map((c) => [c.id, c.status])).toEqual([
      ['tests-pass', 'pass'],
      ['clean-tree', 'pass'],
      ['right-branch', 'pass'],
      ['up-to-date', 'warn'],
      ['required-env-healthy', 'pass'],
      ['rollback-tag-free', 'pass'],
      ['no-friday-deploys', 'pass'],
      ['deploy-freeze', 'pass'],
      ['change-documented', 'pass'],
      ['no-secrets-in-git', 'pass'],
      ['coverage-minimums', 'pass'],
      ['secrets-rotation-due', 'pass'],
    ]);
    expect(result.exitCode).toBe(0);
    expect(json.ok).toBe(true);
    expect(check('required-env-healthy').message).toMatch(
      /^staging http:\/\/127\.0\.0\.1:\d+\/health answered 200 in \d+ ms$/,
    );
    expect(check('rollback-tag-free').message).toBe('v20261202-1500 is free');
    for (const c of json.checks) expect(typeof c.durationMs).toBe('number');
  });

  it('runs the test suite once per tree: a second preflight on the same tree uses the cached pass', async () => {
    const repo = await project();
    const first = await preflight(repo);
    expect(first.check('tests-pass').message).toMatch(/passed in/);
    const second = await preflight(repo);
    expect(second.check('tests-pass').message).toMatch(/\(cached; ran/);
    repo.write('src/routes/api.js', 'export const routes = ["/x"];\n');
    await repo.commitAll('change');
    const third = await preflight(repo);
    expect(third.check('tests-pass').message).toMatch(/passed in/);
  });

  it('fails tests-pass with the tail of the output and the log file, and does not cache the failure', async () => {
    const repo = await project();
    const { result, check } = await preflight(repo, [], { FAIL_TESTS: '1' });
    expect(result.exitCode).toBe(1);
    const tests = check('tests-pass');
    expect(tests.status).toBe('fail');
    expect(tests.message).toBe('`node scripts/test.mjs` exited with 1');
    const log = tests.hint!.replace('Full output: ', '');
    expect(readFileSync(log, 'utf8')).toContain('1 failing test: login rejects a bad password');
    const human = await runProdguard(['preflight', 'production', '--at', WEDNESDAY], {
      cwd: repo.dir,
      env: { FAIL_TESTS: '1' },
    });
    expect(human.stdout).toContain('│ 1 failing test: login rejects a bad password');
    expect(human.stdout).toMatch(/✗ tests-pass/);
    expect((await preflight(repo)).check('tests-pass').status).toBe('pass');
  });

  it('runs every named suite, reports each verdict, and caches each pass per tree', async () => {
    const repo = await project();
    repo.write(
      'scripts/integration.mjs',
      "if (process.env.FAIL_INTEGRATION) { console.error('orders API returned 500'); process.exit(3); }\nconsole.log('integration ok', process.env.PRODGUARD_TEST_SUITE);\n",
    );
    repo.write(
      'prodguard.yaml',
      readFileSync(join(repo.dir, 'prodguard.yaml'), 'utf8').replace(
        /tests:\n {2}command: .*\n {2}timeout: 1m\n/,
        'tests:\n  suites:\n    - { name: unit, command: node scripts/test.mjs, timeout: 1m }\n    - { name: integration, command: node scripts/integration.mjs }\n',
      ),
    );
    await repo.commitAll('two test tiers');
    const failing = await preflight(repo, [], { FAIL_INTEGRATION: '1' });
    expect(failing.result.exitCode).toBe(1);
    const failed = failing.check('tests-pass');
    expect(failed.status).toBe('fail');
    expect(failed.message).toBe(
      'integration: `node scripts/integration.mjs` exited with 3 (1 of 2 suites passed)',
    );
    expect(readFileSync(failed.hint!.replace('Full output: ', ''), 'utf8')).toContain(
      'orders API returned 500',
    );
    const human = await runProdguard(['preflight', 'production', '--at', WEDNESDAY], {
      cwd: repo.dir,
      env: { FAIL_INTEGRATION: '1' },
    });
    expect(human.stdout).toMatch(
      /✗ tests-pass\s+integration: `node scripts\/integration\.mjs` exited with 3/,
    );
    // The unit pass was cached; the failed integration suite runs again.
    const passing = await preflight(repo);
    const passed = passing.check('tests-pass');
    expect(passed.status).toBe('pass');
    expect(passed.message).toMatch(
      /^unit: passed for tree [0-9a-f]{12} at .* \(cached; ran .*\); integration: `node scripts\/integration\.mjs` passed in /,
    );
  });

  it('fails clean-tree on uncommitted and untracked files', async () => {
    const repo = await project();
    repo.write('src/routes/api.js', 'changed\n');
    repo.write('notes.txt', 'scratch\n');
    const { check } = await preflight(repo);
    expect(check('clean-tree')).toMatchObject({
      status: 'fail',
      message: '1 uncommitted and 1 untracked file(s): M src/routes/api.js, ?? notes.txt',
    });
  });

  it('fails right-branch off main, and up-to-date when behind the upstream (local refs only)', async () => {
    const repo = await project();
    await repo.git('checkout', '-q', '-b', 'feature/x');
    expect((await preflight(repo)).check('right-branch')).toMatchObject({
      status: 'fail',
      message: 'on feature/x, but production deploys only from main',
    });
    await repo.git('checkout', '-q', 'main');
    // A local "origin/main" that is one commit ahead of main, as after a git fetch.
    const head = await repo.git('rev-parse', 'HEAD');
    repo.write('teammate.txt', 'their fix\n');
    const ahead = await repo.commitAll('teammate fix');
    await repo.git('reset', '-q', '--hard', head);
    await repo.git('remote', 'add', 'origin', 'https://git.invalid/resume-api.git');
    await repo.git('update-ref', 'refs/remotes/origin/main', ahead);
    await repo.git('config', 'branch.main.remote', 'origin');
    await repo.git('config', 'branch.main.merge', 'refs/heads/main');
    expect((await preflight(repo)).check('up-to-date')).toMatchObject({
      status: 'fail',
      message: '1 commit(s) behind origin/main',
    });
    await repo.git('merge', '-q', '--ff-only', 'origin/main');
    expect((await preflight(repo)).check('up-to-date')).toMatchObject({ status: 'pass' });
  });

  it('fails required-env-healthy when staging answers 503 or too slowly, and reports latency', async () => {
    const repo = await project();
    health.status = 503;
    expect((await preflight(repo)).check('required-env-healthy').message).toMatch(/answered 503 in \d+ ms$/);
    health.status = 200;
    health.delayMs = 1500;
    const slow = (await preflight(repo)).check('required-env-healthy');
    expect(slow).toMatchObject({ status: 'fail' });
    expect(slow.message).toContain('no answer within 1s');
  });

  it('rollback-tag-free: a second release in the minute takes name-2; fails when every name is taken', async () => {
    const repo = await project();
    await repo.git('tag', '-a', 'v20261202-1500', '-m', 'earlier deploy');
    expect((await preflight(repo)).check('rollback-tag-free')).toMatchObject({
      status: 'pass',
      message: 'v20261202-1500-2 is free (v20261202-1500 is taken this minute)',
    });
    for (const n of [2, 3, 4, 5]) await repo.git('tag', '-a', `v20261202-1500-${n}`, '-m', 'earlier deploy');
    expect((await preflight(repo)).check('rollback-tag-free')).toMatchObject({
      status: 'fail',
      message: 'v20261202-1500 through v20261202-1500-5 already exist',
    });
  });

  it('refuses Fridays in the configured zone, and passes with an audited override', async () => {
    const repo = await project({ timezone: 'America/Chicago' });
    const friday = await runProdguard(['preflight', 'production', '--json', '--at', FRIDAY], {
      cwd: repo.dir,
    });
    const verdict = (JSON.parse(friday.stdout) as PreflightJson).checks.find(
      (c) => c.id === 'no-friday-deploys',
    );
    expect(verdict).toMatchObject({
      status: 'fail',
      message: 'Friday is a no-deploy day (Fri 2026-12-04 09:00 CST)',
    });
    expect(friday.exitCode).toBe(1);
    const overridden = await runProdguard(
      [
        'preflight',
        'production',
        '--json',
        '--at',
        FRIDAY,
        '--override',
        'no-friday-deploys',
        '--reason',
        'CVE fix, approved by CTO',
      ],
      { cwd: repo.dir },
    );
    expect(overridden.exitCode).toBe(0);
    const log = await runProdguard(['audit', 'log', '--json'], { cwd: repo.dir });
    const events = (
      JSON.parse(log.stdout) as { events: { action: string; outcome: string; reason: string }[] }
    ).events;
    expect(events).toContainEqual(
      expect.objectContaining({
        action: 'rule.override',
        target: 'no-friday-deploys',
        outcome: 'overridden',
        reason: 'CVE fix, approved by CTO',
      }),
    );
    const human = await runProdguard(['audit', 'log'], { cwd: repo.dir });
    expect(human.stdout).toMatch(
      /rule\.override\s+overridden\s+no-friday-deploys · reason: CVE fix, approved by CTO/,
    );
  });

  it('refuses an override without a reason, and an unknown rule id (exit 2)', async () => {
    const repo = await project();
    const noReason = await runProdguard(['preflight', 'production', '--override', 'clean-tree'], {
      cwd: repo.dir,
    });
    expect(noReason.exitCode).toBe(2);
    expect(noReason.stderr).toContain('PRODGUARD_OVERRIDE_REASON_MISSING');
    const unknown = await runProdguard(
      ['preflight', 'production', '--override', 'clean-tre', '--reason', 'typo'],
      { cwd: repo.dir },
    );
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown rule "clean-tre"');
  });

  it('freezes: config windows, manual freezes with --until, and freeze off', async () => {
    const repo = await project({
      timezone: 'Europe/Berlin',
      extraConfig:
        'freeze:\n  windows:\n    - { from: 2026-12-24T00:00, to: 2026-12-27T00:00, reason: holidays }\n',
    });
    const holiday = await runProdguard(
      ['preflight', 'production', '--json', '--at', '2026-12-24T10:00:00Z'],
      { cwd: repo.dir },
    );
    expect(
      (JSON.parse(holiday.stdout) as PreflightJson).checks.find((c) => c.id === 'deploy-freeze')?.message,
    ).toContain('holidays (freeze window 2026-12-24 00:00 GMT+1');
    // 2026-12-23T23:30Z is already the 24th in Berlin.
    const eve = await runProdguard(
      ['freeze', 'status', '--json', '--at', '2026-12-23T23:30:00Z', '--env', 'production'],
      { cwd: repo.dir },
    );
    expect(JSON.parse(eve.stdout).environments[0].frozen).toBe(true);

    const on = await runProdguard(
      ['freeze', 'on', '--env', 'production', '--until', '30d', '--reason', 'INC-12 investigating 503s'],
      { cwd: repo.dir },
    );
    expect(on.exitCode).toBe(0);
    const now = new Date().toISOString();
    const frozen = await runProdguard(['preflight', 'production', '--json', '--at', now], { cwd: repo.dir });
    expect(
      (JSON.parse(frozen.stdout) as PreflightJson).checks.find((c) => c.id === 'deploy-freeze')?.message,
    ).toContain('INC-12 investigating 503s');
    const staging = await runProdguard(['preflight', 'staging', '--json', '--at', now], { cwd: repo.dir });
    expect(
      (JSON.parse(staging.stdout) as PreflightJson).checks.find((c) => c.id === 'deploy-freeze')?.status,
    ).toBe('pass');
    expect(
      (
        await runProdguard(['freeze', 'off', '--env', 'production', '--reason', 'resolved'], {
          cwd: repo.dir,
        })
      ).exitCode,
    ).toBe(0);
    const open = await runProdguard(['preflight', 'production', '--json', '--at', now], { cwd: repo.dir });
    expect(
      (JSON.parse(open.stdout) as PreflightJson).checks.find((c) => c.id === 'deploy-freeze')?.status,
    ).toBe('pass');
    const again = await runProdguard(['freeze', 'off', '--env', 'production'], { cwd: repo.dir });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('No manual freeze is set on production');
  });

  it('change-documented: a --note, or a changelog changed since the last release', async () => {
    const repo = await project();
    await repo.git('rm', '-q', 'CHANGELOG.md');
    await repo.commitAll('drop changelog');
    expect((await preflight(repo)).check('change-documented')).toMatchObject({
      status: 'fail',
      message: 'no --note and no CHANGELOG.md in git',
    });
    expect((await preflight(repo, ['--note', 'adds PDF export'])).check('change-documented')).toMatchObject({
      status: 'pass',
      message: 'deploy note: "adds PDF export"',
    });
    repo.write('CHANGELOG.md', '# Changelog\n- 1.0\n');
    await repo.commitAll('changelog');
    await repo.git('tag', '-a', 'v20261130-0900', '-m', 'previous production release');
    repo.write('src/routes/api.js', 'export const routes = ["/v2"];\n');
    await repo.commitAll('undocumented change');
    expect((await preflight(repo)).check('change-documented').message).toBe(
      'no --note, and CHANGELOG.md has not changed since the last production release (v20261130-0900)',
    );
    repo.write('CHANGELOG.md', '# Changelog\n- 1.1 adds /v2\n- 1.0\n');
    await repo.commitAll('document');
    expect((await preflight(repo)).check('change-documented')).toMatchObject({ status: 'pass' });
  });

  it('finds credentials in tracked files and in commits since the last release, masked', async () => {
    const repo = await project();
    const password = 'Pr0d-Passw0rd-7781';
    repo.write(
      'src/db.js',
      `export const url = "postgres://cvstomize_app:${password}@10.1.2.3:5432/cvstomize";\n`,
    );
    await repo.commitAll('hardcode the database url');
    const { json, check, result } = await preflight(repo);
    const scan = check('no-secrets-in-git');
    expect(scan.status).toBe('fail');
    expect(scan.message).toMatch(/src\/db\.js:1 database-connection-string post…\[hidden\]/);
    expect(result.stdout).not.toContain(password);
    expect(json.ok).toBe(false);
    // Removing it from the tree is not enough: the commit still carries it.
    repo.write('src/db.js', 'export const url = process.env.DATABASE_URL;\n');
    await repo.commitAll('read from env');
    const again = (await preflight(repo)).check('no-secrets-in-git');
    expect(again.status).toBe('fail');
    expect(again.message).toMatch(
      /src\/db\.js:1 database-connection-string post…\[hidden\] \(added in [0-9a-f]{7}\)/,
    );
    const human = await runProdguard(['preflight', 'production', '--at', WEDNESDAY], { cwd: repo.dir });
    expect(`${human.stdout}${human.stderr}`).not.toContain(password);
    // After a release, only newer commits are scanned.
    await repo.git('tag', '-a', 'v20261201-1000', '-m', 'release');
    expect((await preflight(repo)).check('no-secrets-in-git')).toMatchObject({ status: 'pass' });
  });

  it('checks coverage minimums per group and names the groups below', async () => {
    const repo = await project();
    const { check } = await preflight(repo, [], { COVERAGE_PCT: '87' });
    expect(check('coverage-minimums')).toMatchObject({
      status: 'fail',
      message: 'lines below minimum: critical paths 87% (min 100%), API endpoints 87% (min 90%)',
    });
  });

  it('judges a deploy of another commit than the checkout on that commit: its coverage verdict is kept per tree', async () => {
    const repo = await project();
    const measured = await repo.git('rev-parse', 'HEAD');
    expect((await preflight(repo)).check('coverage-minimums').status).toBe('pass');
    repo.write('src/routes/api.js', 'export const routes = ["/y"];\n');
    const unmeasured = await repo.commitAll('a commit no checklist ran on');
    repo.write('src/routes/api.js', 'export const routes = ["/z"];\n');
    await repo.commitAll('the checkout');
    const config = loadConfig({ cwd: repo.dir });
    const store = StateStore.open(join(config.stateDirPath, 'state.db'));
    try {
      const checks = preflightDeployChecks({
        config,
        store,
        processes: nodeProcessRunner,
        clock: systemClock,
        log: silentLogger,
        env: process.env,
        logsDir: join(config.stateDirPath, 'logs'),
      });
      const coverageOf = async (commit: string) =>
        (await checks.checksFor({ environment: 'production', release: { commit } }))
          .find((c) => c.ruleId === 'coverage-minimums')!
          .run();
      expect(await coverageOf(measured)).toMatchObject({
        status: 'pass',
        message: expect.stringMatching(
          new RegExp(
            `^commit ${measured.slice(0, 12)} is not the checkout; its tree \\w{12} met the minimums at .*; cached\\)$`,
          ),
        ),
      });
      // The checkout's report says nothing about a tree that was never measured.
      expect(await coverageOf(unmeasured)).toMatchObject({
        status: 'fail',
        message: expect.stringContaining(`deploying commit ${unmeasured.slice(0, 12)} (tree `),
        hint: expect.stringContaining(`git switch --detach ${unmeasured.slice(0, 12)}`),
      });
    } finally {
      store.close();
    }
  });

  it('prints a readable checklist and exits 2 for an unknown environment', async () => {
    const repo = await project();
    const human = await runProdguard(['preflight', 'production', '--at', WEDNESDAY], { cwd: repo.dir });
    expect(human.stdout).toContain('Preflight for production at Wed 2026-12-02 15:00 UTC');
    expect(human.stdout).toMatch(/✓ tests-pass\s+`node scripts\/test\.mjs` passed in/);
    expect(human.stdout).toContain('11/12 checks passed: production is clear to deploy.');
    const bad = await runProdguard(['preflight', 'prod'], { cwd: repo.dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('Unknown environment "prod"');
    expect(bad.stderr).toContain('Expected one of: local, staging, production.');
  });
});

describe('config errors through the CLI', () => {
  it('reports all mistakes with file:line:column and exits 2', async () => {
    const repo = await project();
    const path = join(repo.dir, 'prodguard.yaml');
    const text = readFileSync(path, 'utf8')
      .replace('timeout: 1m', 'timeout: 1 minute')
      .replace('branch: main', 'branch: main\n    brnch: typo');
    repo.write('prodguard.yaml', `${text}watch: soon\n`);
    const result = await runProdguard(['config', 'check'], { cwd: repo.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${path} has 3 problems:`);
    expect(result.stderr).toMatch(/prodguard\.yaml:7:12 {2}tests\.timeout: Expected a duration/);
    expect(result.stderr).toMatch(
      /prodguard\.yaml:\d+:5 {2}environments\.production\.brnch: Unknown key "brnch"/,
    );
    expect(result.stderr).toMatch(/prodguard\.yaml:\d+:8 {2}watch: Expected a duration/);
  });

  it('an undefined or exploding YAML alias exits 2 with line and column on every command, without a stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prodguard-alias-'));
    try {
      writeFileSync(
        join(dir, 'prodguard.yaml'),
        'version: 1\nproject:\n  name: *nope\nenvironments: { staging: {} }\n',
      );
      for (const args of [['config', 'check'], ['status'], ['preflight', 'staging']]) {
        const result = await runProdguard(args, { cwd: dir });
        expect(result.exitCode, args.join(' ')).toBe(2);
        expect(result.stderr).toContain('prodguard.yaml:3:9  project.name: Alias *nope names no anchor');
        expect(result.stderr).not.toMatch(/\n\s+at /);
      }
      const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
      const bomb = levels.map((name, i) =>
        i === 0
          ? `  ${name}: &${name} [lol, lol, lol, lol, lol, lol, lol, lol, lol]`
          : `  ${name}: &${name} [${Array(9)
              .fill(`*${levels[i - 1]}`)
              .join(', ')}]`,
      );
      writeFileSync(
        join(dir, 'prodguard.yaml'),
        `version: 1\nproject: { name: api }\nenvironments: { staging: {} }\nx:\n${bomb.join('\n')}\n`,
      );
      const result = await runProdguard(['config', 'check'], { cwd: dir });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/prodguard\.yaml:13:10 {2}x\.i\[0\]: Aliases of &h expand to \d+ copies/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
