import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPool,
  passwordFromFile,
  poolMetricsText,
  poolOptionsFromEnv,
  type ResilientPool,
} from '@prodguard/runtime';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  blackholeServer,
  captureLog,
  closedPort,
  createTestRole,
  strongPassword,
  type TestRole,
} from './runtime-fixtures.js';

describe('createPool on PostgreSQL with scram-sha-256', () => {
  let role: TestRole;
  let dir: string;
  const pools: ResilientPool[] = [];

  beforeEach(async () => {
    role = await createTestRole();
    dir = mkdtempSync(join(tmpdir(), 'prodguard-runtime-'));
  });
  afterEach(async () => {
    for (const pool of pools.splice(0)) if (!pool.ending) await pool.end();
    await role.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const track = (pool: ResilientPool) => {
    pools.push(pool);
    return pool;
  };
  const base = () => ({ host: role.host, port: role.port, user: role.user, database: role.database.name });

  it('uses fail-fast defaults instead of pg’s wait-forever ones', () => {
    const pool = track(createPool({ ...base(), password: role.password }));
    expect(pool.options.connectionTimeoutMillis).toBe(10_000);
    expect(pool.options.maxLifetimeSeconds).toBe(300);
    expect(pool.options.max).toBe(10);
    expect(pool).toBeInstanceOf(pg.Pool);
  });

  it('re-reads the password file, so connections opened after a rotation and the lifetime use the new password', async () => {
    const file = join(dir, 'db-password');
    writeFileSync(file, `${role.password}\n`);
    const log = captureLog();
    const pool = track(
      createPool({ ...base(), password: passwordFromFile(file), maxLifetimeSeconds: 1, max: 2, log }),
    );
    const first = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // pg-pool emits 'remove' once the lifetime timer has retired the idle connection.
    const retired = once(pool, 'remove');

    const next = strongPassword();
    await role.setPassword(next);
    writeFileSync(file, `${next}\n`);
    // The session opened with the old password survives ALTER ROLE (PostgreSQL checks passwords only at
    // login): it keeps serving until its lifetime retires it.
    const during = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(during.rows[0]?.pid).toBe(first.rows[0]?.pid);

    await retired;
    const after = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(after.rows[0]?.pid).not.toBe(first.rows[0]?.pid);
    expect(pool.metrics().authFailures).toBe(0);
    expect(log.entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it('a pool holding a fixed stale password fails with 28P01 once its connection retires (the outage)', async () => {
    const old = role.password;
    const log = captureLog();
    const pool = track(
      createPool({
        ...base(),
        password: old,
        maxLifetimeSeconds: 1,
        retry: { attempts: 1, delayMs: 10 },
        log,
      }),
    );
    await pool.query('SELECT 1');
    const retired = once(pool, 'remove');
    await role.setPassword(strongPassword());
    await retired;
    await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: '28P01' });
    expect(pool.metrics()).toMatchObject({ authFailures: 2, retries: 1, recovered: 0 });
    const text = log.lines.join('\n');
    expect(text).toContain('28P01');
    expect(text).not.toContain(old);
  });

  it('retries once on 28P01, re-reading the credential, and logs the failure without it', async () => {
    const stale = strongPassword();
    const current = role.password;
    const reads: string[] = [];
    // The first read returns the stale value, as a secret mount does just before it is refreshed.
    const source = () => {
      const value = reads.length === 0 ? stale : current;
      reads.push(value);
      return value;
    };
    const log = captureLog();
    const pool = track(createPool({ ...base(), password: source, retry: { attempts: 1, delayMs: 20 }, log }));

    const result = await pool.query<{ ok: number }>('SELECT 1 AS ok');
    expect(result.rows).toEqual([{ ok: 1 }]);
    expect(reads).toEqual([stale, current]);
    expect(pool.metrics()).toMatchObject({ authFailures: 1, retries: 1, recovered: 1 });

    const failed = log.entries.find((e) => e.fields.event === 'db.connect.failed');
    expect(failed?.fields).toMatchObject({
      code: '28P01',
      kind: 'auth',
      willRetry: true,
      user: role.user,
      database: role.database.name,
    });
    const text = log.lines.join('\n');
    expect(text).not.toContain(stale);
    expect(text).not.toContain(current);
  });

  it('without retries a stale credential surfaces as 28P01 at once', async () => {
    const pool = track(
      createPool({ ...base(), password: strongPassword(), retry: { attempts: 0 }, log: captureLog() }),
    );
    await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: '28P01' });
    expect(pool.metrics()).toMatchObject({ authFailures: 1, retries: 0 });
  });

  it('masks the password of a DATABASE_URL in logged errors, and a password file beats the URL password', async () => {
    const urlPassword = strongPassword();
    const file = join(dir, 'pw');
    writeFileSync(file, role.password);
    const log = captureLog();
    const url = `postgresql://${role.user}:${urlPassword}@${role.host}:${role.port}/${role.database.name}`;
    const fromFile = track(
      createPool({ ...poolOptionsFromEnv({ DATABASE_URL: url, DB_PASSWORD_FILE: file }), log }),
    );
    await expect(fromFile.query('SELECT 1')).resolves.toBeTruthy();

    const wrong = track(createPool({ connectionString: url, retry: { attempts: 1, delayMs: 5 }, log }));
    const error = await wrong.query('SELECT 1').catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: '28P01' });
    expect(String(error)).not.toContain(urlPassword);
    expect(log.lines.length).toBeGreaterThan(0);
    const text = log.lines.join('\n');
    expect(text).not.toContain(urlPassword);
    expect(text).not.toContain(role.password);
  });

  it('reports a missing password file as an error of its own, without retrying or hanging', async () => {
    const log = captureLog();
    const pool = track(createPool({ ...base(), password: passwordFromFile(join(dir, 'absent')), log }));
    await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(pool.metrics()).toMatchObject({ retries: 0, connectFailures: 1 });
    expect(log.entries.at(-1)?.fields).toMatchObject({
      event: 'db.connect.failed',
      kind: 'other',
      code: 'ENOENT',
    });
    // pg leaves the socket of such a failed connect open; the server would keep that backend for
    // authentication_timeout (60 s) and block DROP DATABASE meanwhile. The runtime closes it.
    const started = performance.now();
    await role.drop();
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('applies statementTimeoutMillis on the server: a runaway statement fails with 57014', async () => {
    const pool = track(
      createPool({ ...base(), password: role.password, statementTimeoutMillis: 200, log: captureLog() }),
    );
    const started = performance.now();
    await expect(pool.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect(pool.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });

  it('fails fast on a port where nothing listens, after one quick retry', async () => {
    const port = await closedPort();
    const log = captureLog();
    const pool = track(
      createPool({ ...base(), port, password: 'x'.repeat(20), retry: { attempts: 1, delayMs: 20 }, log }),
    );
    const started = performance.now();
    await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(pool.metrics()).toMatchObject({ connectFailures: 2, retries: 1 });
  });

  it('gives up on a host that accepts TCP but never answers after the connect timeout, without a retry', async () => {
    const hole = await blackholeServer();
    try {
      const log = captureLog();
      const pool = track(
        createPool({ ...base(), port: hole.port, password: 'p', connectionTimeoutMillis: 400, log }),
      );
      const started = performance.now();
      await expect(pool.query('SELECT 1')).rejects.toThrow(/connection timeout/);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(350);
      expect(elapsed).toBeLessThan(1_500);
      expect(pool.metrics()).toMatchObject({ connectFailures: 1, retries: 0 });
      expect(log.entries.at(-1)?.fields).toMatchObject({ kind: 'timeout', willRetry: false });
    } finally {
      await hole.close();
    }
  });

  it('reports saturation: waiting clients when every connection is busy', async () => {
    const pool = track(
      createPool({ ...base(), password: role.password, max: 1, connectionTimeoutMillis: 2_000 }),
    );
    const held = await pool.connect();
    const queued = pool.query('SELECT 1');
    // The request joins pg-pool's queue synchronously: no wait is needed to observe it.
    expect(pool.metrics()).toMatchObject({
      total: 1,
      idle: 0,
      inUse: 1,
      waiting: 1,
      max: 1,
      saturated: true,
    });
    expect(poolMetricsText(pool.metrics())).toContain('db_pool_waiting_clients 1\n');
    held.release();
    await queued;
    expect(pool.metrics()).toMatchObject({ waiting: 0, saturated: false, idle: 1 });
  });

  it('a full pool times out after connectionTimeoutMillis and is not retried', async () => {
    const pool = track(
      createPool({
        ...base(),
        password: role.password,
        max: 1,
        connectionTimeoutMillis: 200,
        log: captureLog(),
      }),
    );
    const held = await pool.connect();
    await expect(pool.query('SELECT 1')).rejects.toThrow('timeout exceeded when trying to connect');
    expect(pool.metrics().retries).toBe(0);
    held.release();
  });

  it('survives an idle connection killed by the server (no crash, next query reconnects)', async () => {
    const log = captureLog();
    const pool = track(createPool({ ...base(), password: role.password, log }));
    const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const killer = track(createPool({ ...base(), password: role.password, log: captureLog() }));
    const lost = once(pool, 'error');
    await killer.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    await lost;
    expect(log.entries.some((e) => e.fields.event === 'db.idle_connection_lost')).toBe(true);
    await expect(pool.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });
});
