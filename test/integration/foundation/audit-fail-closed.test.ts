import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ProcessResult } from '../../../src/kernel/process-runner.js';
import { runProdguard } from '../../helpers/cli.js';
import type { TempRepo } from '../../helpers/git-repo.js';
import { useProjects } from './project.js';

const { project } = useProjects();

/** A project with a manual freeze, a secret with two versions (v1 pinned) and a stuck lock on staging. */
async function projectWithState(): Promise<{
  repo: TempRepo;
  cli: (args: string[], input?: string) => Promise<ProcessResult>;
}> {
  const repo = await project({ extraConfig: 'freeze:\n  weekdays: []\n' });
  const cli = (args: string[], input?: string) =>
    runProdguard(args, { cwd: repo.dir, ...(input !== undefined ? { input } : {}) });
  expect((await cli(['freeze', 'on', '--env', 'staging', '--reason', 'INC-1 staging db'])).exitCode).toBe(0);
  for (const value of ['api-key-value-one-1234', 'api-key-value-two-5678']) {
    const added = await cli(['secrets', 'add', 'API_KEY', '--env', 'staging'], value);
    expect(added.exitCode, added.stderr).toBe(0);
  }
  const db = stateDb(repo);
  db.prepare(
    "INSERT INTO locks(environment, token, operation, owner, pid, host, acquired_at, heartbeat_at, expires_at) VALUES ('staging', 't0k', 'deploy staging', 'bob@example.com', 1, 'elsewhere', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z')",
  ).run();
  db.close();
  return { repo, cli };
}

function stateDb(repo: TempRepo): Database.Database {
  return new Database(join(repo.dir, '.prodguard/state.db'));
}

/** What the commands below could change, read straight from the state store. */
function snapshotState(repo: TempRepo) {
  const db = stateDb(repo);
  try {
    return {
      freezes: db.prepare('SELECT id, environment, lifted_at FROM freezes ORDER BY id').all(),
      pins: db.prepare('SELECT name, environment, version FROM secret_pins ORDER BY name').all(),
      locks: db.prepare('SELECT environment, owner FROM locks').all(),
    };
  } finally {
    db.close();
  }
}

function expectRefusedByAudit(result: ProcessResult, cause: RegExp): void {
  expect(result.exitCode, result.stdout + result.stderr).toBe(1);
  expect(result.stderr).toMatch(
    /^error PRODGUARD_AUDIT_UNAVAILABLE: Could not record [a-z.-]+ \(started\): the audit trail in .*state\.db is unavailable/,
  );
  expect(result.stderr).toMatch(cause);
  expect(result.stderr).toContain('hint: Nothing was done: nothing happens without an audit record.');
  // An expected error: no stack, no "please report".
  expect(result.stderr).not.toMatch(/\n\s+at |prodguard bug|SqliteError/);
}

describe('fail-closed audit (real CLI, real SQLite)', () => {
  it('when the audit table refuses inserts, freeze, secrets pin and lock break change nothing and exit 1', async () => {
    const { repo, cli } = await projectWithState();
    const before = snapshotState(repo);
    expect(before.pins).toEqual([{ name: 'API_KEY', environment: 'staging', version: 1 }]);
    const db = stateDb(repo);
    db.exec(
      "CREATE TRIGGER audit_refuse BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit disabled by test'); END;",
    );
    db.close();

    for (const args of [
      ['freeze', 'on', '--env', 'production', '--reason', 'INC-2 prod'],
      ['freeze', 'off', '--env', 'staging'],
      ['secrets', 'pin', 'API_KEY', '2', '--env', 'staging'],
      ['lock', 'break', 'staging', '--reason', 'bob is on holiday'],
    ]) {
      expectRefusedByAudit(await cli(args), /audit disabled by test/);
    }
    expect(snapshotState(repo)).toEqual(before);

    // --json gets the same error as JSON, exit 1.
    const json = await cli(['--json', 'freeze', 'on', '--reason', 'INC-3']);
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      error: { code: 'PRODGUARD_AUDIT_UNAVAILABLE' },
    });

    // With the trigger gone everything works again, and the chain never saw the refused attempts.
    const db2 = stateDb(repo);
    db2.exec('DROP TRIGGER audit_refuse');
    db2.close();
    expect((await cli(['lock', 'break', 'staging', '--reason', 'bob is on holiday'])).exitCode).toBe(0);
    expect(snapshotState(repo).locks).toEqual([]);
    const verify = await cli(['audit', 'verify']);
    expect(verify.exitCode, verify.stdout).toBe(0);
  });

  it('a dropped audit table gives PRODGUARD_AUDIT_UNAVAILABLE with exit 1 on audit verify, audit log and mutating commands', async () => {
    const { repo, cli } = await projectWithState();
    const before = snapshotState(repo);
    const db = stateDb(repo);
    db.exec('DROP TABLE audit_events');
    db.close();

    for (const args of [
      ['audit', 'verify'],
      ['audit', 'log'],
    ]) {
      const result = await cli(args);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        /^error PRODGUARD_AUDIT_UNAVAILABLE: Could not read the audit log: the audit trail in .*state\.db is unavailable \(no such table: audit_events\)/,
      );
      expect(result.stderr).toContain('hint: The audit trail cannot be read, so it cannot be trusted;');
      expect(result.stderr).not.toMatch(/\n\s+at |prodguard bug/);
    }
    for (const args of [
      ['freeze', 'on', '--reason', 'INC-2 everything'],
      ['secrets', 'pin', 'API_KEY', '2', '--env', 'staging'],
      ['lock', 'break', 'staging', '--reason', 'stuck'],
    ]) {
      expectRefusedByAudit(await cli(args), /no such table: audit_events/);
    }
    expect(snapshotState(repo)).toEqual(before);
  });

  it('every successful mutating command writes its intent before its outcome, linked by intentSeq', async () => {
    const { cli } = await projectWithState();
    expect((await cli(['secrets', 'pin', 'API_KEY', '2', '--env', 'staging'])).exitCode).toBe(0);
    const events = JSON.parse((await cli(['audit', 'log', '--json'])).stdout).events as {
      seq: number;
      action: string;
      outcome: string;
      details: { intentSeq?: number };
    }[];
    expect(events.map((e) => `${e.action} ${e.outcome}`)).toEqual([
      'freeze.on started',
      'freeze.on success',
      'secrets.add started',
      'secrets.add success',
      'secrets.add started',
      'secrets.add success',
      'secrets.pin started',
      'secrets.pin success',
    ]);
    for (const e of events.filter((x) => x.outcome !== 'started'))
      expect(e.details.intentSeq).toBe(e.seq - 1);
  });
});
