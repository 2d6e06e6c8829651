import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type JsonLineChild, spawnJsonLines } from './child-process.js';
import { createTestRole, type TestRole } from './runtime-fixtures.js';

const APP = fileURLToPath(new URL('./fixtures/shutdown-app.mjs', import.meta.url));
const RUNTIME = fileURLToPath(new URL('../../../packages/runtime/dist/index.js', import.meta.url));

describe('gracefulShutdown in a real process receiving SIGTERM', () => {
  let role: TestRole;
  let app: JsonLineChild | undefined;
  beforeAll(() => {
    if (!existsSync(RUNTIME)) throw new Error(`${RUNTIME} is missing: build first (npm run build)`);
  });
  beforeEach(async () => {
    role = await createTestRole('gs');
  });
  afterEach(async () => {
    if (app && app.child.exitCode === null && app.child.signalCode === null) {
      app.child.kill('SIGKILL');
      await app.exited;
    }
    await role.drop();
  });

  const start = async (budgetMs: number) => {
    app = spawnJsonLines(APP, {
      PRODGUARD_RUNTIME: RUNTIME,
      BUDGET_MS: String(budgetMs),
      DATABASE_URL: `postgresql://${role.user}:${role.password}@${role.host}:${role.port}/${role.database.name}`,
    });
    const listening = await app.waitFor((l) => l.event === 'listening');
    return { app, url: `http://127.0.0.1:${listening.port as number}` };
  };

  it('stops accepting, finishes the in-flight request, ends the pool and exits 0', async () => {
    const { app, url } = await start(5_000);
    const inflight = fetch(`${url}/slow?ms=1200`);
    await app.waitFor((l) => l.event === 'request.started');
    app.child.kill('SIGTERM');
    await app.waitFor((l) => l.event === 'shutdown.started');

    await expect(fetch(`${url}/health/live`)).rejects.toThrow();

    const response = await inflight;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toEqual({ done: true, slept: true });
    expect(await app.exited).toEqual({ code: 0, signal: null });
    const complete = app.lines.find((l) => l.event === 'shutdown.complete');
    expect(complete).toMatchObject({
      reason: 'SIGTERM',
      drained: true,
      abandoned: 0,
      poolEnded: true,
      exitCode: 0,
    });
    expect(complete?.durationMs as number).toBeGreaterThanOrEqual(900);
    expect(JSON.stringify(app.lines)).not.toContain(role.password);
  });

  it('gives up on a request that outlives the budget: closes it, exits 1 within the budget', async () => {
    const { app, url } = await start(600);
    const inflight = fetch(`${url}/slow?ms=8000`).then(
      (r) => r.status,
      () => 'socket closed',
    );
    await app.waitFor((l) => l.event === 'request.started');
    const started = performance.now();
    app.child.kill('SIGTERM');
    expect(await app.exited).toEqual({ code: 1, signal: null });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(await inflight).toBe('socket closed');
    expect(app.lines.find((l) => l.event === 'shutdown.complete')).toMatchObject({
      drained: false,
      abandoned: 1,
      exitCode: 1,
    });
  });

  it('exits at once when nothing is in flight', async () => {
    const { app, url } = await start(10_000);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const started = performance.now();
    app.child.kill('SIGTERM');
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
