import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kernel/clock.js';
import { FakeGcp } from '../../fakes/gcp/index.js';
import { PRODGUARD_BIN, runProdguard } from '../../helpers/cli.js';
import { postgresServer, serverUrl } from '../../helpers/postgres.js';
import { processExists } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait-for.js';
import { createDbProject, DATABASE_ENVIRONMENTS, type DbProject } from '../database/project.js';
import { cloudRunPlatformYaml } from './cloud-run-yaml.js';
import { readProxyRuns, writeFakeCloudSqlProxy } from './fake-cloud-sql-proxy.js';

// The real CLI starts the Cloud SQL Auth Proxy around the commands that use a Cloud Run environment's
// database: a stand-in `cloud-sql-proxy` (a node script first on PATH) forwards to a real PostgreSQL, the
// Cloud SQL Admin API is the loopback fake. Production's URL is the Cloud Run socket form, which only
// works through the proxy: a command that skipped it would fail.
describe('Cloud SQL Auth Proxy around migrate, drift and db commands (real CLI, real processes)', () => {
  let p: DbProject;
  let fake: FakeGcp;
  let tmp: string;
  let binDir: string;
  let records: string;
  const clock = new ManualClock('2026-03-04T10:00:00Z');
  const role = `proxy_app_${randomBytes(4).toString('hex')}`;
  const password = `Pw-${randomBytes(12).toString('hex')}`;
  const readonlyRole = `${role}_ro`;
  let socketUrl: string;
  let readonlyUrl: string;
  let n = 0;

  const yaml = (sqlProxy: string, platformExtra = '') => `version: 1
project:
  name: proxy-test
freeze:
  weekdays: []
database:
  migrations: prisma/migrations
  shadowUrlEnv: SHADOW_URL
  lockTimeout: 20s
  statementTimeout: 20s
${DATABASE_ENVIRONMENTS}      readonlyUrlEnv: RO_URL_PRODUCTION
${cloudRunPlatformYaml({ sqlInstance: true })}${platformExtra}${sqlProxy ? `      sqlProxy:\n${sqlProxy}` : ''}`;

  /** What every command here runs with: the databases, the fake Admin API, the fake proxy on PATH. */
  const proxyEnv = (onPath = true): NodeJS.ProcessEnv => ({
    ...p.env,
    DATABASE_URL_PRODUCTION: socketUrl,
    RO_URL_PRODUCTION: readonlyUrl,
    PRODGUARD_GCP_ENDPOINT: fake.url,
    PRODGUARD_GCP_TOKEN: 'fake-token',
    FAKE_PROXY_TARGET: `${postgresServer().host}:${postgresServer().port}`,
    PATH: onPath ? `${binDir}${delimiter}${process.env.PATH}` : (process.env.PATH ?? ''),
  });

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}, onPath = true) =>
    runProdguard(args, { cwd: p.dir, env: { ...proxyEnv(onPath), ...env }, timeoutMs: 120_000 });

  /** The CLI as a child of this test, for Ctrl-C: what runProdguard adds, by hand. */
  const spawnCli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawn(process.execPath, [PRODGUARD_BIN, ...args], {
      cwd: p.dir,
      env: {
        ...process.env,
        ...proxyEnv(),
        NO_COLOR: '1',
        PRODGUARD_ACTOR: 'tester@example.com',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  const expectAllStopped = () => {
    const runs = readProxyRuns(records);
    for (const run of runs) {
      expect(run.stopped, `proxy ${run.pid} was stopped`).toBe(true);
      expect(processExists(run.pid), `proxy ${run.pid} is gone`).toBe(false);
    }
    return runs;
  };

  const expectNoPassword = (...texts: string[]) => {
    for (const text of texts) expect(text).not.toContain(password);
  };

  beforeAll(async () => {
    fake = await FakeGcp.start({ now: () => clock.now(), sqlOperationPolls: 1 });
    fake.sql.seedInstance('cvstomize-prod', 'api-db');
    p = await createDbProject();
    tmp = mkdtempSync(join(tmpdir(), 'prodguard-proxy-cli-'));
    binDir = join(tmp, 'bin');
    writeFakeCloudSqlProxy(binDir, join(tmp, 'unused'));
    // The production role has its own password, so the test can look for it everywhere.
    const admin = new pg.Client({ connectionString: serverUrl() });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      await admin.query(`ALTER DATABASE "${p.dbs.production.name}" OWNER TO ${role}`);
      await admin.query(`CREATE ROLE ${readonlyRole} LOGIN PASSWORD '${password}-ro'`);
      await admin.query(`ALTER ROLE ${readonlyRole} SET default_transaction_read_only = on`);
    } finally {
      await admin.end();
    }
    socketUrl = `postgresql://${role}:${password}@/${p.dbs.production.name}?host=/cloudsql/cvstomize-prod:us-central1:api-db&sslmode=disable`;
    readonlyUrl = `postgresql://${readonlyRole}:${password}-ro@/${p.dbs.production.name}?host=/cloudsql/cvstomize-prod:us-central1:api-db`;
    p.write('prodguard.yaml', yaml(''));
    p.migration(
      '20260101000000_users',
      'CREATE TABLE "User" ("id" BIGSERIAL PRIMARY KEY);\n',
      'DROP TABLE "User";\n',
    );
    for (const env of ['local', 'staging']) {
      const r = await cli(['migrate', 'deploy', env]);
      expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    }
  }, 240_000);

  beforeEach(() => {
    // Each test reads the runs of its own commands.
    n += 1;
    records = join(tmp, `records-${n}`);
    writeFakeCloudSqlProxy(binDir, records);
  });

  afterAll(async () => {
    await fake?.close();
    await p?.cleanup();
    const admin = new pg.Client({ connectionString: serverUrl() });
    await admin.connect();
    await admin
      .query(`DROP ROLE IF EXISTS ${role}`)
      .then(() => admin.query(`DROP ROLE IF EXISTS ${readonlyRole}`))
      .finally(() => admin.end());
    rmSync(tmp, { recursive: true, force: true });
  });

  it('migrate status reaches production through the proxy (connection name, loopback port), then stops it', async () => {
    p.write('prodguard.yaml', yaml(''));
    const r = await cli(['migrate', 'status', '--json']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(1); // production has a pending migration
    const status = JSON.parse(r.stdout);
    const production = status.environments.find(
      (e: { environment: string }) => e.environment === 'production',
    );
    expect(production.error).toBeUndefined();
    expect(status.cells['20260101000000_users'].production).toBe('pending');
    const runs = expectAllStopped();
    expect(runs).toHaveLength(1);
    const args = runs[0]!.args;
    expect(args[0]).toBe('cvstomize-prod:us-central1:api-db');
    expect(args.slice(1, 3)[0]).toBe('--port');
    expect(Number(args[2])).toBeGreaterThan(0);
    expect(args.slice(3)).toEqual(['--address', '127.0.0.1']);
    // No password in the proxy's argv or environment, nor in prodguard's output.
    expectNoPassword(JSON.stringify(runs[0]), r.stdout, r.stderr);
    expect(runs[0]!.env.DATABASE_URL_PRODUCTION).toBeUndefined();
  }, 120_000);

  it('migrate deploy production applies through the proxy; --private-ip and a connection name from config', async () => {
    p.write(
      'prodguard.yaml',
      yaml('        privateIp: true\n        connectionName: cvstomize-prod:europe-west1:api-db\n'),
    );
    const v = await cli(['migrate', 'verify-rollback', 'production']);
    expect(v.exitCode, v.stderr + v.stdout).toBe(0);
    const r = await cli(['migrate', 'deploy', 'production', '--json']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(JSON.parse(r.stdout).applied).toEqual(['20260101000000_users']);
    expect(await p.query('production', `SELECT to_regclass('"User"')::text AS t`)).toEqual([{ t: '"User"' }]);
    const runs = expectAllStopped();
    expect(runs).toHaveLength(2); // one per command
    for (const run of runs) {
      expect(run.args[0]).toBe('cvstomize-prod:europe-west1:api-db');
      expect(run.args.at(-1)).toBe('--private-ip');
    }
    expectNoPassword(JSON.stringify(runs), r.stdout, r.stderr, v.stdout, v.stderr);
  }, 120_000);

  it('db drift production compares through the proxy', async () => {
    p.write('prodguard.yaml', yaml(''));
    const r = await cli(['db', 'drift', 'production']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(expectAllStopped()).toHaveLength(1);
    expectNoPassword(r.stdout, r.stderr);
  }, 120_000);

  it('a proxy that exits at once fails the command with what it printed on stderr', async () => {
    p.write('prodguard.yaml', yaml(''));
    const r = await cli(['db', 'drift', 'production'], {
      FAKE_PROXY_MODE: 'exit',
      FAKE_PROXY_STDERR: 'failed to connect to instance: Cloud SQL Admin API returned 403 NOT_AUTHORIZED',
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('PRODGUARD_GCP_PROXY_FAILED');
    expect(r.stderr).toContain('exited with 1');
    expect(r.stderr).toContain('403 NOT_AUTHORIZED');
    expect(readProxyRuns(records)).toHaveLength(1);
    expectNoPassword(r.stdout, r.stderr);
  }, 120_000);

  it('a proxy that never listens times out after sqlProxy.startTimeout and is stopped', async () => {
    p.write('prodguard.yaml', yaml('        startTimeout: 1s\n'));
    const r = await cli(['db', 'drift', 'production'], { FAKE_PROXY_MODE: 'silent' });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('PRODGUARD_GCP_PROXY_TIMEOUT');
    expect(r.stderr).toContain('within 1000 ms');
    expect(expectAllStopped()).toHaveLength(1);
  }, 120_000);

  it('Ctrl-C while the proxy starts stops it and ends the command', async () => {
    p.write('prodguard.yaml', yaml('        startTimeout: 5m\n'));
    const child = spawnCli(['db', 'drift', 'production'], { FAKE_PROXY_MODE: 'silent' });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const run = await waitFor('the proxy to start', () => readProxyRuns(records)[0], { timeoutMs: 30_000 });
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr).not.toBe(0);
    expect(stderr).toContain('Interrupted while cloud-sql-proxy');
    expect(processExists(run.pid)).toBe(false);
    expect(expectAllStopped()).toHaveLength(1);
  }, 60_000);

  it('sql on production reads through the proxy; a second Ctrl-C exits at once and still stops the proxy', async () => {
    p.write('prodguard.yaml', yaml(''));
    await p.query('production', 'REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await p.query('production', `GRANT SELECT ON "User" TO ${readonlyRole}`);
    const read = await cli(['sql', 'production', '-c', 'SELECT count(*) AS n FROM "User"', '--json']);
    expect(read.exitCode, read.stderr + read.stdout).toBe(0);
    expect(read.stdout).toContain('"n"');
    expect(expectAllStopped()).toHaveLength(1);
    expectNoPassword(read.stdout, read.stderr);

    // A query that waits on a lock keeps the command busy; Ctrl-C twice makes prodguard exit at once.
    const holder = new pg.Client({ connectionString: p.dbs.production.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE "User" IN ACCESS EXCLUSIVE MODE');
    try {
      const child = spawnCli(['sql', 'production', '-c', 'SELECT count(*) FROM "User"']);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      // pg_stat_activity is a snapshot per transaction: ask from another connection.
      const probe = new pg.Client({ connectionString: p.dbs.production.url });
      await probe.connect();
      await waitFor(
        'the query to wait on the lock',
        async () =>
          (
            await probe.query(
              `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%count(*)%'`,
            )
          ).rowCount === 1,
        { timeoutMs: 30_000 },
      ).finally(() => probe.end());
      const runs = readProxyRuns(records);
      expect(runs).toHaveLength(2);
      // Two signals sent at once may be delivered as one: repeat until prodguard has exited.
      let code: number | null | undefined;
      void exited.then((c) => {
        code = c;
      });
      await waitFor('prodguard to exit on the second Ctrl-C', () => {
        if (code !== undefined) return true;
        child.kill('SIGINT');
        return false;
      });
      expect(code).toBe(130);
      for (const run of runs) await waitFor(`proxy ${run.pid} to be gone`, () => !processExists(run.pid));
      expect(readProxyRuns(records).every((r) => r.stopped)).toBe(true);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  }, 120_000);

  it('sqlProxy.mode on without the binary on PATH: a clear error, nothing started', async () => {
    p.write('prodguard.yaml', yaml('        mode: on\n'));
    const r = await cli(['migrate', 'status', '--env', 'production', '--json'], {}, false);
    // migrate status reports each environment's error in its row (8: unreachable).
    expect(r.exitCode).toBe(8);
    expect(JSON.parse(r.stdout).environments[0].error).toContain('cloud-sql-proxy is not on PATH');
    const d = await cli(['db', 'drift', 'production'], {}, false);
    expect(d.exitCode).toBe(2);
    expect(d.stderr).toContain('PRODGUARD_GCP_PROXY_NOT_FOUND');
    expect(readProxyRuns(records)).toEqual([]);
    expectNoPassword(r.stdout, r.stderr, d.stdout, d.stderr);
  }, 120_000);

  it('not started for a direct URL: mode off, auto without the binary, or a command without a database', async () => {
    const direct = { DATABASE_URL_PRODUCTION: p.dbs.production.url };
    p.write('prodguard.yaml', yaml('        mode: off\n'));
    const off = await cli(['db', 'drift', 'production'], direct);
    expect(off.exitCode, off.stderr + off.stdout).toBe(0);
    p.write('prodguard.yaml', yaml(''));
    const auto = await cli(['db', 'drift', 'production'], direct, false);
    expect(auto.exitCode, auto.stderr + auto.stdout).toBe(0);
    const other = await cli(['operations', '--json']);
    expect(other.exitCode, other.stderr + other.stdout).toBe(0);
    const local = await cli(['db', 'drift', 'staging']);
    expect(local.exitCode, local.stderr + local.stdout).toBe(0);
    expect(readProxyRuns(records)).toEqual([]);
  }, 120_000);
});
