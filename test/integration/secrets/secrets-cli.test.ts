import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessResult } from '../../../src/kernel/process-runner.js';
import { PRODGUARD_BIN, runProdguard } from '../../helpers/cli.js';
import { createTestDatabase, postgresServer, serverUrl, type TestDatabase } from '../../helpers/postgres.js';
import { untilPast, waitFor } from '../../helpers/wait-for.js';
import { dropRoles, loginCode, passwordOf } from './secrets-harness.js';

function yaml(group: string, extra = ''): string {
  return `version: 1
project:
  name: cvstomize-api
freeze:
  weekdays: []
secrets:
  groupRole: ${group}
  propagationTimeout: 20s
  propagationInterval: 1s
  destroyGracePeriod: 1s
${extra}
environments:
  staging:
    protected: true
  production:
    requires: staging
`;
}

describe('prodguard secrets (real CLI, real PostgreSQL)', () => {
  let dir: string;
  let db: TestDatabase;
  let group: string;
  let adminUrl: string;
  const outputs: string[] = [];
  const run = async (args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<ProcessResult> => {
    const result = await runProdguard(args, {
      cwd: dir,
      ...(input !== undefined ? { input } : {}),
      ...(env ? { env } : {}),
    });
    outputs.push(result.command, result.stdout, result.stderr);
    if (result.exitCode === 4) console.error(`internal error from ${args.join(' ')}:\n${result.stderr}`);
    return result;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-secrets-cli-'));
    db = await createTestDatabase('seccli');
    group = `c${randomBytes(4).toString('hex')}`;
    adminUrl = serverUrl(db.name);
    writeFileSync(join(dir, 'prodguard.yaml'), yaml(group));
  });
  afterAll(async () => {
    await db.drop();
    await dropRoles(group);
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds from stdin, refuses argv values, sets up roles, rotates and never prints a value unasked', async () => {
    const argv = await run(['secrets', 'add', 'DATABASE_URL_ADMIN', '--env', 'staging', adminUrl]);
    expect(argv.exitCode).toBe(2);
    expect(argv.stderr).toContain('PRODGUARD_SECRET_VALUE_IN_ARGV');
    expect(argv.stderr).not.toContain(postgresServer().password);

    const add = await run(
      ['secrets', 'add', 'DATABASE_URL_ADMIN', '--env', 'staging', '--kind', 'external'],
      `${adminUrl}\n`,
    );
    expect(add.exitCode, add.stderr).toBe(0);
    expect(add.stdout).toContain('Added DATABASE_URL_ADMIN v1 (staging, external)');

    const setup = await run(['secrets', 'setup-roles', '--env', 'staging']);
    expect(setup.exitCode, setup.stderr).toBe(0);
    expect(setup.stdout).toContain(`Group role ${group} with login members ${group}_a, ${group}_b`);
    expect(setup.stdout).toContain(`Added and pinned DATABASE_URL v1 (staging) logging in as ${group}_a`);

    const rotate = await run(['secrets', 'rotate', 'DATABASE_URL', '--env', 'staging']);
    expect(rotate.exitCode, rotate.stderr).toBe(0);
    expect(rotate.stdout).toMatch(/✓ create +new password for \w+_b/);
    expect(rotate.stdout).toMatch(/✓ test +logged in as \w+_b after 1 attempt/);
    expect(rotate.stdout).toContain('✓ DATABASE_URL v2 pinned in staging (was v1).');

    const json = await run(['--json', 'secrets', 'versions', 'DATABASE_URL', '--env', 'staging']);
    const parsed = JSON.parse(json.stdout) as {
      pinnedVersion: number;
      versions: { version: number; metadata: { role: string } }[];
    };
    expect(parsed.pinnedVersion).toBe(2);
    expect(parsed.versions.map((v) => v.metadata.role)).toEqual([`${group}_a`, `${group}_b`]);

    // The next rotation would change _a's password: no platform can say whether v1 still runs.
    const again = await run(['secrets', 'rotate', 'DATABASE_URL', '--env', 'staging']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('PRODGUARD_SECRET_ROTATION_REFUSED');
    expect(again.stderr).toContain('--previous-retired');

    const status = await run(['--json', 'secrets', 'status', '--env', 'staging']);
    expect(status.exitCode).toBe(0);
    expect(
      JSON.parse(status.stdout).secrets.map((r: { name: string; state: string }) => `${r.name}:${r.state}`),
    ).toEqual(['DATABASE_URL:ok', 'DATABASE_URL_ADMIN:ok', 'DATABASE_URL_READONLY:ok']);
    expect(
      (
        await run(
          ['secrets', 'add', 'JWT_SECRET', '--env', 'staging', '--kind', 'random'],
          'first-jwt-key-0123456789',
        )
      ).exitCode,
    ).toBe(0);
    const jwt = await run(['--json', 'secrets', 'rotate', 'JWT_SECRET', '--env', 'staging']);
    expect(jwt.exitCode, jwt.stderr).toBe(0);
    expect(JSON.parse(jwt.stdout)).toMatchObject({
      ok: true,
      outcome: 'succeeded',
      rotation: { toVersion: 2 },
    });
    await run(['--json', 'secrets', 'rotations']);
    await run(['--json', 'audit', 'log']);
    await run(['audit', 'log']);
    const noReveal = await run(['secrets', 'get', 'DATABASE_URL', '--env', 'staging']);
    expect(noReveal.exitCode).toBe(2);

    // Everything printed so far (and every argv we passed after the refused one) holds no password.
    const v1 = (
      await run(['secrets', 'get', 'DATABASE_URL', '--env', 'staging', '--version', '1', '--reveal'])
    ).stdout.trim();
    const v2 = (await run(['secrets', 'get', 'DATABASE_URL', '--env', 'staging', '--reveal'])).stdout.trim();
    expect(await loginCode(v2)).toBe('ok');
    expect(await loginCode(v1)).toBe('ok');
    const jwt2 = (await run(['secrets', 'get', 'JWT_SECRET', '--env', 'staging', '--reveal'])).stdout.trim();
    expect(jwt2).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const printed = outputs.slice(3, -9).join('\n');
    for (const secret of [passwordOf(v1), passwordOf(v2), postgres().password, jwt2])
      expect(printed).not.toContain(secret);
    const audit = JSON.parse((await run(['--json', 'audit', 'log'])).stdout) as {
      events: { action: string; outcome: string }[];
    };
    // one refusal, then three reads each written before (started) and after (success)
    expect(audit.events.filter((e) => e.action === 'secrets.get').map((e) => e.outcome)).toEqual([
      'refused',
      'started',
      'success',
      'started',
      'success',
      'started',
      'success',
    ]);
    expect(JSON.stringify(audit)).not.toContain(passwordOf(v2));
  });

  it('a wrong master key fails clearly and changes nothing', async () => {
    const before = (await run(['--json', 'secrets', 'list'])).stdout;
    const wrong = await run(['secrets', 'add', 'API_KEY', '--env', 'staging'], 'value-1234567890', {
      PRODGUARD_MASTER_KEY: randomBytes(32).toString('base64'),
    });
    expect(wrong.exitCode, wrong.stderr).toBe(2);
    expect(wrong.stderr).toContain('PRODGUARD_SECRET_KEY_MISMATCH');
    expect(wrong.stderr).toContain('Nothing was changed');
    expect((await run(['--json', 'secrets', 'list'])).stdout).toBe(before);
  });

  it('destroy: refused below 3 enabled, while pinned or the rollback pin; destruction after the grace period', async () => {
    for (let i = 1; i <= 5; i++)
      expect(
        (await run(['secrets', 'add', 'STRIPE_KEY', '--env', 'staging'], `sk_test_value_${i}_abcdef`))
          .exitCode,
      ).toBe(0);
    expect((await run(['secrets', 'pin', 'STRIPE_KEY', '5', '--env', 'staging'])).exitCode).toBe(0);
    const pinned = await run(['secrets', 'destroy', 'STRIPE_KEY', '5', '--env', 'staging']);
    expect(pinned.exitCode).toBe(1);
    expect(pinned.stderr).toContain('it is pinned in staging');
    expect((await run(['secrets', 'destroy', 'STRIPE_KEY', '1', '--env', 'staging'])).stderr).toContain(
      'it is the version a failed rollout in staging would re-pin',
    );
    const ok = await run(['secrets', 'destroy', 'STRIPE_KEY', '2', '--env', 'staging']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('its value is erased after');
    const v3 = await run(['--json', 'secrets', 'destroy', 'STRIPE_KEY', '3', '--env', 'staging']);
    expect(v3.exitCode, v3.stderr).toBe(0);
    const few = await run(['secrets', 'destroy', 'STRIPE_KEY', '4', '--env', 'staging']);
    expect(few.exitCode).toBe(1);
    expect(few.stderr).toContain('it would leave 2 enabled versions; at least 3 must remain');
    // The event is the end of the grace period the CLI reported (destroyGracePeriod: 1s); v3's ends last.
    await untilPast(new Date(JSON.parse(v3.stdout).destroyAfter as string));
    // Reads erase nothing (below); `secrets purge`, like every mutating command, does.
    expect((await run(['secrets', 'purge'])).exitCode).toBe(0);
    const versions = JSON.parse(
      (await run(['--json', 'secrets', 'versions', 'STRIPE_KEY', '--env', 'staging'])).stdout,
    ) as {
      versions: { version: number; state: string }[];
    };
    expect(versions.versions.map((v) => `v${v.version}:${v.state}`)).toEqual([
      'v1:enabled',
      'v2:destroyed',
      'v3:destroyed',
      'v4:enabled',
      'v5:enabled',
    ]);
    const gone = await run([
      'secrets',
      'get',
      'STRIPE_KEY',
      '--env',
      'staging',
      '--version',
      '2',
      '--reveal',
    ]);
    expect(gone.exitCode).toBe(1);
    expect(gone.stderr).toContain('is destroyed');

    // Reads never change state, not even to erase a value past its destruction time: v4's grace period ends
    // after the last mutating command, and list, status and versions leave every table as it was.
    expect(
      (await run(['secrets', 'add', 'STRIPE_KEY', '--env', 'staging'], 'sk_test_value_6_abcdef')).exitCode,
    ).toBe(0);
    const v4 = await run(['--json', 'secrets', 'destroy', 'STRIPE_KEY', '4', '--env', 'staging']);
    expect(v4.exitCode, v4.stderr).toBe(0);
    await untilPast(new Date(JSON.parse(v4.stdout).destroyAfter as string));
    const before = dumpState(dir);
    expect((await run(['secrets', 'list'])).exitCode).toBe(0);
    expect((await run(['--json', 'secrets', 'list'])).exitCode).toBe(0);
    expect((await run(['secrets', 'status'])).exitCode).not.toBe(4);
    const read = await run(['--json', 'secrets', 'versions', 'STRIPE_KEY', '--env', 'staging']);
    expect(read.exitCode, read.stderr).toBe(0);
    expect(
      (JSON.parse(read.stdout) as { versions: { version: number; state: string }[] }).versions.find(
        (v) => v.version === 4,
      )?.state,
    ).toBe('disabled');
    expect(dumpState(dir)).toEqual(before);
    // `secrets purge` erases it, audited (intent, then the versions destroyed).
    const purge = await run(['--json', 'secrets', 'purge']);
    expect(purge.exitCode, purge.stderr).toBe(0);
    expect(JSON.parse(purge.stdout)).toEqual({
      ok: true,
      destroyed: [{ name: 'STRIPE_KEY', environment: 'staging', version: 4 }],
      // the audit head after the purge: an anchor for `audit verify` wherever this output is kept
      audit: { seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    const { events } = JSON.parse((await run(['--json', 'audit', 'log'])).stdout) as {
      events: { action: string; outcome: string; details: unknown }[];
    };
    const purged = events.filter((e) => e.action === 'secrets.purge').slice(-2);
    expect(purged.map((e) => e.outcome)).toEqual(['started', 'success']);
    expect(JSON.stringify(purged[1]?.details)).toContain('"version":4');
    expect((await run(['secrets', 'purge'])).stdout).toContain('No version is past its destruction time.');
  });

  it('SIGKILL during "set" leaves the journal; a plain rotate is refused, --resume finishes it', async () => {
    // An admin endpoint that accepts connections and never answers: "set" hangs until we kill the CLI.
    const hang: Server = createServer(() => {});
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const port = (hang.address() as { port: number }).port;
    const hangingAdmin = adminUrl.replace(`:${postgresServer().port}/`, `:${port}/`);
    expect(
      (await run(['secrets', 'add', 'DATABASE_URL_ADMIN', '--env', 'staging'], hangingAdmin)).exitCode,
    ).toBe(0);
    expect((await run(['secrets', 'pin', 'DATABASE_URL_ADMIN', '2', '--env', 'staging'])).exitCode).toBe(0);
    const setStarted = (state: Database.Database) =>
      (
        state
          .prepare("SELECT count(*) AS n FROM operation_steps WHERE step = 'set' AND phase = 'started'")
          .get() as { n: number }
      ).n;
    const state = new Database(join(dir, '.prodguard', 'state.db'), { readonly: true });
    const before = setStarted(state);
    const child: ChildProcess = spawn(
      process.execPath,
      [PRODGUARD_BIN, 'secrets', 'rotate', 'DATABASE_URL', '--env', 'staging', '--previous-retired'],
      {
        cwd: dir,
        env: { ...process.env, PRODGUARD_ACTOR: 'tester@example.com', NO_COLOR: '1' },
        stdio: 'ignore',
      },
    );
    try {
      await waitFor('the rotation to reach the set step', () => setStarted(state) > before, {
        timeoutMs: 15_000,
      });
      state.close();
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    } finally {
      hang.close();
    }
    const plain = await run(['secrets', 'rotate', 'DATABASE_URL', '--env', 'staging', '--previous-retired']);
    expect(plain.exitCode, plain.stdout + plain.stderr).toBe(1);
    expect(plain.stderr).toContain('PRODGUARD_SECRET_ROTATION_RUNNING');
    expect(plain.stderr).toContain('interrupted after step "create"');
    expect((await run(['secrets', 'pin', 'DATABASE_URL_ADMIN', '1', '--env', 'staging'])).exitCode).toBe(0);
    const resumed = await run(['secrets', 'rotate', 'DATABASE_URL', '--env', 'staging', '--resume']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/↷ create +done before the interruption/);
    expect(resumed.stdout).toMatch(/✓ set +ALTER ROLE \w+_a PASSWORD \(SCRAM verifier\)/);
    expect(resumed.stdout).toContain('DATABASE_URL v3 pinned in staging (was v2).');
    const v3 = (await run(['secrets', 'get', 'DATABASE_URL', '--env', 'staging', '--reveal'])).stdout.trim();
    expect(await loginCode(v3)).toBe('ok');
    expect(outputs.slice(0, -3).join('\n')).not.toContain(passwordOf(v3));
  });
});

/** Every row of every table of the state store, to prove a command changed nothing. */
function dumpState(projectDir: string): Record<string, unknown[]> {
  const state = new Database(join(projectDir, '.prodguard', 'state.db'), { readonly: true });
  try {
    const tables = state
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all() as { name: string }[];
    return Object.fromEntries(tables.map((t) => [t.name, state.prepare(`SELECT * FROM "${t.name}"`).all()]));
  } finally {
    state.close();
  }
}

function postgres() {
  return postgresServer();
}
