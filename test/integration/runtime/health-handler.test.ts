import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool, type HealthHandlerOptions, healthHandler, type ResilientPool } from '@prodguard/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blackholeServer, captureLog, createTestRole, type TestRole } from './runtime-fixtures.js';

async function serve(options: HealthHandlerOptions): Promise<{ url: string; server: Server }> {
  const health = healthHandler(options);
  const server = createServer(async (req, res) => {
    if (await health.handle(req, res)) return;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('healthHandler', () => {
  let role: TestRole;
  const cleanup: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    role = await createTestRole('hh');
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    await role.drop();
  });
  const pool = (overrides: Partial<Parameters<typeof createPool>[0]> = {}): ResilientPool => {
    const p = createPool({
      host: role.host,
      port: role.port,
      user: role.user,
      database: role.database.name,
      password: role.password,
      log: captureLog(),
      ...overrides,
    });
    cleanup.push(() => p.end());
    return p;
  };
  const start = async (options: HealthHandlerOptions) => {
    const s = await serve(options);
    cleanup.push(() => new Promise<void>((resolve) => s.server.close(() => resolve())));
    return s.url;
  };

  it('answers readiness 200 with the database status, latency and pool figures; liveness 200', async () => {
    const url = await start({ pool: pool(), timeoutMs: 1_000 });
    const ready = await fetch(`${url}/health`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get('cache-control')).toBe('no-store');
    const body = (await ready.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', httpStatus: 200, db: { status: 'ok' }, maintenance: false });
    expect(typeof (body.db as { latencyMs: unknown }).latencyMs).toBe('number');
    expect(body.pool).toMatchObject({ max: 10 });

    const live = await fetch(`${url}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok', maintenance: false, shuttingDown: false });
    expect((await fetch(`${url}/other`)).status).toBe(404);
  });

  it('fails readiness with `timeout` within the budget when the database hangs, while liveness stays 200', async () => {
    const hole = await blackholeServer();
    cleanup.push(() => hole.close());
    const url = await start({
      pool: pool({ port: hole.port, connectionTimeoutMillis: 1_000 }),
      timeoutMs: 300,
    });
    const started = performance.now();
    const ready = await fetch(`${url}/health`);
    const elapsed = performance.now() - started;
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', db: { status: 'timeout' } });
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2_000);

    // Liveness never waits for the database: asked while a readiness check hangs on it, it answers first.
    let readyAnswered = false;
    const readyAgain = fetch(`${url}/health`).then(async (res) => {
      readyAnswered = true;
      await res.arrayBuffer();
      return res.status;
    });
    const live = await fetch(`${url}/health/live`);
    expect(live.status).toBe(200);
    expect(readyAnswered).toBe(false);
    expect(await readyAgain).toBe(503);
  });

  it('reports a database error (wrong password) as 503 with its SQLSTATE and no credential', async () => {
    const wrong = 'definitely-not-the-password-123';
    const url = await start({ pool: pool({ password: wrong, retry: { attempts: 0 } }), timeoutMs: 2_000 });
    const ready = await fetch(`${url}/health`);
    expect(ready.status).toBe(503);
    const text = await ready.text();
    expect(JSON.parse(text)).toMatchObject({ status: 'unavailable', db: { status: 'error', code: '28P01' } });
    expect(text).not.toContain(wrong);
  });

  it('reports maintenance on readiness (503 + Retry-After) without failing liveness', async () => {
    let maintenance: string | false = 'Database upgrade until 14:00 UTC';
    const url = await start({ pool: pool(), maintenance: () => maintenance, retryAfterSeconds: 120 });
    const ready = await fetch(`${url}/health`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('120');
    expect(await ready.json()).toMatchObject({
      status: 'maintenance',
      db: { status: 'ok' },
      maintenance: { message: 'Database upgrade until 14:00 UTC' },
    });
    const live = await fetch(`${url}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok', maintenance: true });

    maintenance = false;
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('shares one database check between concurrent readiness probes', async () => {
    const p = pool();
    let queries = 0;
    const counting = {
      query: (text: string) => {
        queries++;
        return p.query(text);
      },
    };
    const health = healthHandler({ pool: counting });
    const reports = await Promise.all([health.check(), health.check(), health.check()]);
    expect(reports.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(queries).toBe(1);
  });
});
