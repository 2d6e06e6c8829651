import { existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runGuarded } from '../../../src/guarded-run/index.js';
import { type Clock, systemClock } from '../../../src/kernel/clock.js';
import { silentLogger } from '../../../src/kernel/logger.js';
import { nodeProcessRunner } from '../../../src/kernel/process-runner.js';
import { openWorkspace } from '../../../src/workspace/index.js';
import { PRODGUARD_BIN, runProdguard } from '../../helpers/cli.js';
import { createTempRepo } from '../../helpers/git-repo.js';
import { waitFor } from '../../helpers/wait-for.js';
import { useProjects } from './project.js';

const { project, track } = useProjects();

describe('prodguard init', () => {
  it('writes the golden-rule defaults, ignores .prodguard/, and refuses to overwrite without --force', async () => {
    const repo = await createTempRepo({
      'package.json': '{"name":"cvstomize-api","scripts":{"test":"vitest"}}',
      '.gitignore': 'node_modules',
    });
    track(repo);
    const first = await runProdguard(['init', '--timezone', 'America/Chicago'], { cwd: repo.dir });
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain('Wrote');
    const yaml = readFileSync(join(repo.dir, 'prodguard.yaml'), 'utf8');
    for (const line of [
      'weekdays: [friday]',
      'errorRate: 5%',
      'latencyP95: 2s',
      'watch: 10m',
      'postgres: 90d',
      'random: 180d',
      'requires: staging',
      'branch: main',
      'minimum: 100',
      'minimum: 85',
    ]) {
      expect(yaml).toContain(line);
    }
    expect(readFileSync(join(repo.dir, '.gitignore'), 'utf8')).toBe('node_modules\n.prodguard/\n');
    // The vault key exists from the start, readable by its owner only, so it can be backed up.
    expect(first.stdout).toContain('Created the vault key');
    expect(statSync(join(repo.dir, '.prodguard/master.key')).mode & 0o777).toBe(0o600);
    // The state folder and its database are owner-only (the CLI runs with umask 022 here).
    expect((await runProdguard(['audit', 'log', '--json'], { cwd: repo.dir })).exitCode).toBe(0);
    expect(statSync(join(repo.dir, '.prodguard')).mode & 0o777).toBe(0o700);
    expect(statSync(join(repo.dir, '.prodguard/state.db')).mode & 0o777).toBe(0o600);
    const check = await runProdguard(['config', 'check'], { cwd: repo.dir });
    expect(check.stdout).toContain('environments: local, staging, production (after staging)');

    writeFileSync(join(repo.dir, 'prodguard.yaml'), `${yaml}# my edits\n`);
    const second = await runProdguard(['init'], { cwd: repo.dir });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain('already exists');
    expect(readFileSync(join(repo.dir, 'prodguard.yaml'), 'utf8')).toContain('# my edits');
    const forced = await runProdguard(['init', '--force', '--timezone', 'UTC'], { cwd: repo.dir });
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(join(repo.dir, 'prodguard.yaml'), 'utf8')).not.toContain('# my edits');
    expect(readFileSync(join(repo.dir, '.gitignore'), 'utf8')).toBe('node_modules\n.prodguard/\n');
  });

  it('refuses outside a git repository and rejects an unknown time zone without writing', async () => {
    const repo = await createTempRepo();
    track(repo);
    const bad = await runProdguard(['init', '--timezone', 'Mars/Base'], { cwd: repo.dir });
    expect(bad.exitCode).toBe(2);
    expect(existsSync(join(repo.dir, 'prodguard.yaml'))).toBe(false);
    const outside = await runProdguard(['init'], { cwd: '/' });
    expect(outside.exitCode).toBe(2);
    expect(outside.stderr).toContain('is not inside a git repository');
  });
});

describe('audit chain', () => {
  it('catches an event edited directly in the state database, naming its sequence number', async () => {
    const repo = await project();
    for (const reason of ['INC-1 first', 'INC-2 second', 'INC-3 third']) {
      await runProdguard(['freeze', 'on', '--reason', reason], { cwd: repo.dir });
      await runProdguard(['freeze', 'off'], { cwd: repo.dir });
    }
    const ok = await runProdguard(['audit', 'verify'], { cwd: repo.dir });
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/✓ 12 events, chain intact/);

    const db = new Database(join(repo.dir, '.prodguard/state.db'));
    db.prepare("UPDATE audit_events SET reason = 'nothing happened' WHERE seq = 3").run();
    db.close();
    const edited = await runProdguard(['audit', 'verify', '--json'], { cwd: repo.dir });
    expect(edited.exitCode).toBe(1);
    expect(JSON.parse(edited.stdout)).toMatchObject({ ok: false, firstBadSeq: 3, problem: 'edited' });

    const db2 = new Database(join(repo.dir, '.prodguard/state.db'));
    db2.prepare('UPDATE audit_events SET reason = NULL WHERE seq = 3').run();
    db2.prepare('DELETE FROM audit_events WHERE seq = 5').run();
    db2.close();
    const deleted = await runProdguard(['audit', 'verify'], { cwd: repo.dir });
    expect(deleted.exitCode).toBe(1);
    expect(deleted.stdout).toContain('Audit chain broken at event #5 (deleted)');
  });

  it('filters the log by environment and time', async () => {
    const repo = await project();
    await runProdguard(['freeze', 'on', '--env', 'staging', '--reason', 'staging db upgrade'], {
      cwd: repo.dir,
    });
    await runProdguard(['freeze', 'on', '--env', 'production', '--reason', 'prod incident'], {
      cwd: repo.dir,
    });
    const staging = JSON.parse(
      (await runProdguard(['audit', 'log', '--env', 'staging', '--json'], { cwd: repo.dir })).stdout,
    );
    expect(
      staging.events.map((e: { reason: string; outcome: string }) => `${e.outcome} ${e.reason}`),
    ).toEqual(['started staging db upgrade', 'success staging db upgrade']);
    const recent = JSON.parse(
      (await runProdguard(['audit', 'log', '--since', '1h', '--json'], { cwd: repo.dir })).stdout,
    );
    expect(recent.events).toHaveLength(4);
    const future = JSON.parse(
      (await runProdguard(['audit', 'log', '--since', '2099-01-01T00:00:00Z', '--json'], { cwd: repo.dir }))
        .stdout,
    );
    expect(future.events).toHaveLength(0);
    expect(recent.events[0].actor).toBe('tester@example.com');
  });
});

describe('prodguard run: the environment lock between processes', () => {
  it('lets one deploy hold production while a second one fails naming the holder, or waits with --wait', async () => {
    const repo = await project();
    const marker = join(repo.dir, '.prodguard-release');
    // The first deploy holds the lock until the test removes its marker file.
    writeFileSync(marker, 'hold');
    const holdScript = `while [ -f ${marker} ]; do sleep 0.05; done`;
    const env = { ...process.env, NO_COLOR: '1', PRODGUARD_ACTOR: 'alice@example.com' };
    const common = ['run', 'staging', '--override', 'clean-tree', '--reason', 'marker file'];
    const first = nodeProcessRunner.run(
      process.execPath,
      [PRODGUARD_BIN, ...common, '--', 'sh', '-c', holdScript],
      { cwd: repo.dir, env, timeoutMs: 60_000 },
    );
    const holders = async () => {
      const status = await runProdguard(['lock', 'status', '--json'], { cwd: repo.dir });
      const locks = (JSON.parse(status.stdout || '{}') as { locks?: { pid: number }[] }).locks;
      if (!locks)
        throw new Error(`lock status failed (exit ${status.exitCode}): ${status.stdout}${status.stderr}`);
      return locks;
    };
    // While the first run starts, a failed status read is shown and read again; every later read must succeed.
    await waitFor(
      'the first run to hold the lock',
      async () => {
        try {
          return (await holders()).length > 0;
        } catch (error) {
          console.warn((error as Error).message);
          return false;
        }
      },
      { timeoutMs: 30_000 },
    );
    const second = await runProdguard([...common, '--', 'true'], {
      cwd: repo.dir,
      env: { PRODGUARD_ACTOR: 'bob@example.com' },
    });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(
      /Environment staging is locked by "run sh -c .*" \(alice@example\.com, pid \d+ on /,
    );
    expect(second.stderr).toContain('--wait');
    // --wait gives up after the duration it was given, naming the holder and how long it waited.
    const impatient = await runProdguard([...common, '--wait', '1s', '--', 'true'], {
      cwd: repo.dir,
      env: { PRODGUARD_ACTOR: 'dave@example.com' },
    });
    expect(impatient.exitCode).toBe(1);
    expect(impatient.stderr).toMatch(/locked by "run sh -c .*" \(alice@example\.com, .*; waited 1/);

    // A third run waits for the lock (in this process, so its clock tells the test when it starts waiting).
    let startedWaiting!: () => void;
    const waitingForLock = new Promise<void>((resolve) => {
      startedWaiting = resolve;
    });
    const clock: Clock = {
      now: () => systemClock.now(),
      nowMs: () => systemClock.nowMs(),
      // In a run, only the lock wait sleeps.
      sleep: (ms, signal) => {
        startedWaiting();
        return systemClock.sleep(ms, signal);
      },
    };
    const ws = openWorkspace({
      cwd: repo.dir,
      clock,
      env: { ...process.env, PRODGUARD_ACTOR: 'carol@example.com' },
      log: silentLogger,
    });
    const waiting = runGuarded(
      { ...ws, logsDir: ws.paths.logs, actor: () => ws.actor() },
      {
        environment: 'staging',
        command: ['true'],
        overrides: [{ ruleId: 'clean-tree', reason: 'marker file' }],
        waitMs: 30_000,
      },
    ).finally(() => ws.close());
    await waitingForLock;
    expect(await holders()).toHaveLength(1);
    unlinkSync(marker);
    const [firstResult, waited] = await Promise.all([first, waiting]);
    expect(firstResult.exitCode).toBe(0);
    expect(waited.exitCode).toBe(0);
    const events = JSON.parse((await runProdguard(['audit', 'log', '--json'], { cwd: repo.dir })).stdout)
      .events as { actor: string; action: string; outcome: string }[];
    const runs = events.filter((e) => e.action === 'run').map((e) => `${e.actor} ${e.outcome}`);
    expect(runs).toEqual([
      'alice@example.com started',
      'alice@example.com success',
      'carol@example.com started',
      'carol@example.com success',
    ]);
  });

  it('takes over the lock of a holder that was killed', async () => {
    const repo = await project();
    const env = { ...process.env, NO_COLOR: '1', PRODGUARD_ACTOR: 'alice@example.com' };
    const victim = nodeProcessRunner.run(
      process.execPath,
      [
        PRODGUARD_BIN,
        'run',
        'staging',
        '--override',
        'clean-tree',
        '--reason',
        'test holder',
        '--',
        'sleep',
        '30',
      ],
      { cwd: repo.dir, env, timeoutMs: 60_000 },
    );
    const pid = await waitFor(
      'the victim to hold the lock',
      async () =>
        JSON.parse((await runProdguard(['lock', 'status', '--json'], { cwd: repo.dir })).stdout).locks[0]
          ?.pid as number | undefined,
      { timeoutMs: 30_000 },
    );
    process.kill(pid, 'SIGKILL');
    await victim;
    const next = await runProdguard(
      ['run', 'staging', '--override', 'clean-tree', '--reason', 'test holder', '--', 'true'],
      { cwd: repo.dir },
    );
    expect(next.exitCode).toBe(0);
  });

  it('creates the annotated rollback tag after a production run and refuses when a check blocks', async () => {
    const repo = await project();
    const refused = await runProdguard(['run', 'production', '--', 'true'], {
      cwd: repo.dir,
      env: { FAIL_TESTS: '1' },
    });
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain('✗ tests-pass');
    expect(refused.stderr).toContain('PRODGUARD_PREFLIGHT_REFUSED');
    const ok = await runProdguard(
      ['run', 'production', '--note', 'first release', '--', 'sh', '-c', 'echo deployed $PRODGUARD_ENV'],
      { cwd: repo.dir },
    );
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toContain('deployed production');
    const tag = /rollback tag (v\d{8}-\d{4})/.exec(ok.stdout)?.[1];
    expect(tag).toBeDefined();
    expect(await repo.git('cat-file', '-t', tag!)).toBe('tag');
    expect(await repo.git('tag', '-l', '--format=%(contents)', tag!)).toContain('first release');
    const failing = await runProdguard(
      [
        'run',
        'production',
        '--note',
        'second',
        '--override',
        'rollback-tag-free',
        '--reason',
        'same minute',
        '--',
        'sh',
        '-c',
        'exit 7',
      ],
      { cwd: repo.dir },
    );
    expect(failing.exitCode).toBe(3);
    expect(failing.stderr).toContain('exited with 7 on production');
  });
});

describe('secrets stay out of every output', () => {
  it('never prints a connection-string password found in the repository, in human or JSON output or the audit log', async () => {
    const repo = await project();
    const password = 'Sup3r-S3cret-DB-pass';
    repo.write(
      'config/prod.env',
      `DATABASE_URL=postgresql://cvstomize_app:${password}@34.1.2.3:5432/cvstomize\n`,
    );
    await repo.commitAll('oops');
    const outputs = [
      await runProdguard(['preflight', 'production'], { cwd: repo.dir }),
      await runProdguard(['preflight', 'production', '--json'], { cwd: repo.dir }),
      await runProdguard(
        [
          'run',
          'production',
          '--override',
          'no-secrets-in-git',
          '--reason',
          'rotating it next',
          '--override',
          'no-friday-deploys',
          '--reason',
          'test holder',
          '--',
          'true',
        ],
        { cwd: repo.dir },
      ),
      await runProdguard(['audit', 'log', '--json'], { cwd: repo.dir }),
    ];
    for (const out of outputs) expect(`${out.stdout}\n${out.stderr}`).not.toContain(password);
    expect(outputs[1]!.stdout).toContain('…[hidden]');
    const db = new Database(join(repo.dir, '.prodguard/state.db'), { readonly: true });
    const everything =
      JSON.stringify(db.prepare('SELECT * FROM audit_events').all()) +
      JSON.stringify(db.prepare('SELECT * FROM secret_scan_cache').all());
    db.close();
    expect(everything).not.toContain(password);
  });
});
