import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.js';
import { adminQuery, createTestRole, strongPassword, type TestRole } from '../runtime/runtime-fixtures.js';
import {
  APP_DIR,
  dbEnv,
  login,
  RUNTIME,
  type RunningApp,
  registerAndLogin,
  runScript,
  startApp,
} from './example-app-fixtures.js';

const MIGRATE = join(APP_DIR, 'scripts', 'migrate.mjs');
const SMOKE = join(APP_DIR, 'scripts', 'smoke.mjs');
const JWT_SECRET = 'current-signing-key-0123456789abcdef';

describe('examples/cvstomize-api as a real process on PostgreSQL', () => {
  let role: TestRole;
  const apps: RunningApp[] = [];
  const start = async (env: NodeJS.ProcessEnv, appDir?: string) => {
    const app = await startApp({ ...dbEnv(role), JWT_SECRET, ...env }, appDir);
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    if (!existsSync(RUNTIME)) throw new Error(`${RUNTIME} is missing: build first (npm run build)`);
    role = await createTestRole('cv');
    const migrated = await runScript(MIGRATE, ['deploy'], dbEnv(role));
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await role?.drop();
  });

  it('migrates like prisma migrate deploy: _prisma_migrations rows with checksums, idempotent, status clean', async () => {
    const client = new pg.Client({ ...dbEnvClient(role) });
    await client.connect();
    try {
      const { rows } = await client.query(
        'SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at, logs FROM _prisma_migrations ORDER BY migration_name',
      );
      expect(rows.map((r) => r.migration_name)).toEqual([
        '20251101090000_init',
        '20251107120000_generated_resumes',
      ]);
      for (const row of rows) {
        const sql = readFileSync(join(APP_DIR, 'prisma', 'migrations', row.migration_name, 'migration.sql'));
        expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
        expect(row.finished_at).toBeInstanceOf(Date);
        expect(row).toMatchObject({ applied_steps_count: 1, rolled_back_at: null, logs: null });
      }
      const templates = await client.query('SELECT id FROM templates ORDER BY id');
      expect(templates.rows).toEqual([{ id: 'classic' }, { id: 'modern' }]);
    } finally {
      await client.end();
    }
    const again = await runScript(MIGRATE, ['deploy'], dbEnv(role));
    expect(again).toMatchObject({ code: 0, stdout: 'No pending migrations to apply.\n' });
    const status = await runScript(MIGRATE, ['status'], dbEnv(role));
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Database schema is up to date!');
  });

  it('passes the smoke test (register → login → upload → generate → download PDF) and reports a healthy database', async () => {
    const { url } = await start({});
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', db: { status: 'ok' } });
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toMatch(/^db_pool_waiting_clients 0$/m);

    const smoke = await runScript(SMOKE, [], { BASE_URL: url });
    expect(smoke.stderr).toBe('');
    expect(smoke.code).toBe(0);
    expect(smoke.stdout).toMatch(
      /✓ Register new user[\s\S]*✓ Login[\s\S]*✓ Upload résumé[\s\S]*✓ Generate résumé[\s\S]*✓ Download PDF/,
    );
    expect(smoke.stdout).toContain('Smoke test passed: 6 steps');
  });

  it('the smoke test fails fast, naming the step, against a server that breaks uploads', async () => {
    const { url } = await start({ FAULT_RATE: '1', FAULT_PATH: '/api/resumes' });
    const smoke = await runScript(SMOKE, [], { BASE_URL: url });
    expect(smoke.code).toBe(1);
    expect(smoke.stdout).toContain('✓ Login');
    expect(smoke.stdout).toContain('✗ Upload résumé: POST /api/resumes: expected HTTP 201, got 500');
    expect(smoke.stderr).toContain('smoke test FAILED at "Upload résumé"');
    expect(smoke.stdout).not.toContain('Generate');

    const unreachable = await runScript(SMOKE, ['http://127.0.0.1:9'], {});
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toContain('✗ Health check: GET /health');
    expect((await runScript(SMOKE, [], { BASE_URL: '' })).code).toBe(2);
  });

  it('FAULT_RATE fails exactly that share of matching requests, deterministically, and nothing else', async () => {
    const { url } = await start({ FAULT_RATE: '0.5', FAULT_PATH: '/api/templates' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${url}/api/templates`);
      statuses.push(res.status);
      if (res.status === 500) {
        expect(res.headers.get('x-fault-injected')).toBe('1');
        expect(await res.json()).toMatchObject({ error: 'injected_fault' });
      } else {
        await res.arrayBuffer();
      }
    }
    expect(statuses).toEqual([200, 500, 200, 500, 200, 500, 200, 500, 200, 500]);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/api/me`)).status).toBe(401);
    expect(await (await fetch(`${url}/`)).json()).toMatchObject({
      faultSwitch: { rate: 0.5, path: '/api/templates', matched: 10, failed: 5, source: 'environment' },
    });
  });

  it('FAULT_AFTER lets a faulty release pass its smoke test (5 API calls) before failing; SLOW_MS adds latency', async () => {
    const { url } = await start({ FAULT_RATE: '1', FAULT_PATH: '/api/', FAULT_AFTER: '5', SLOW_MS: '150' });
    const smoke = await runScript(SMOKE, [], { BASE_URL: url });
    expect(smoke.code).toBe(0);
    const t0 = performance.now();
    const res = await fetch(`${url}/api/templates`);
    expect(res.status).toBe(500);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('a FAULTY_RELEASE file in a copy of the app (a release as a commit) fails its endpoint; the copy finds @prodguard/runtime by itself', async () => {
    const work = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.work-'));
    try {
      // Shaped like a deploy artifact: a git archive of the prodguard repository (package.json, no dist/).
      writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'prodguard', type: 'module' }));
      const copy = join(work, 'examples', 'cvstomize-api');
      cpSync(APP_DIR, copy, { recursive: true });
      writeFileSync(
        join(copy, 'FAULTY_RELEASE'),
        '# deliberately faulty release\nrate=1\npath=/api/templates\n',
      );
      const { url } = await start({ PRODGUARD_RUNTIME: '' }, copy);
      expect((await fetch(`${url}/api/templates`)).status).toBe(500);
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect(await (await fetch(`${url}/`)).json()).toMatchObject({
        faultSwitch: { rate: 1, path: '/api/templates', source: 'FAULTY_RELEASE file' },
      });
      await apps.pop()?.stop();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('accepts tokens signed with JWT_SECRET_PREVIOUS after a key rotation, and rejects them once it is gone', async () => {
    const before = await start({ JWT_SECRET });
    const email = `rotation-${Date.now()}@example.com`;
    const oldToken = await registerAndLogin(before.url, email);

    const NEW = 'rotated-signing-key-fedcba9876543210';
    const during = await start({ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: JWT_SECRET });
    const me = await fetch(`${during.url}/api/me`, { headers: { Authorization: `Bearer ${oldToken}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { email } });
    const newToken = await login(during.url, email);
    expect(newToken).not.toBe(oldToken);

    const after = await start({ JWT_SECRET: NEW });
    expect(
      (await fetch(`${after.url}/api/me`, { headers: { Authorization: `Bearer ${oldToken}` } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${after.url}/api/me`, { headers: { Authorization: `Bearer ${newToken}` } })).status,
    ).toBe(200);
    // The old revision does not know the new key.
    expect(
      (await fetch(`${before.url}/api/me`, { headers: { Authorization: `Bearer ${newToken}` } })).status,
    ).toBe(401);
  });

  it('keeps serving through a database password rotation when DB_PASSWORD_FILE is re-read', async () => {
    const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.work-'));
    try {
      const file = join(dir, 'db-password');
      writeFileSync(file, role.password);
      const { url, app } = await start({
        DB_PASSWORD: '',
        DB_PASSWORD_FILE: file,
        DB_MAX_LIFETIME_SECONDS: '1',
        // Names its sessions (application_name), apart from those of the apps earlier tests started.
        RELEASE: 'rotation-check',
      });
      expect((await fetch(`${url}/api/templates`)).status).toBe(200);
      const next = strongPassword();
      // The database changes first and the secret file follows (ALTER ROLE, then the secret update): a
      // connection opened in between fails with 28P01 once and succeeds on the retry, which re-reads the file.
      const rotatedAt = await serverNow();
      await role.setPassword(next);
      writeFileSync(file, next);
      // Requests keep coming until the pool has retired every session opened with the old password (its
      // 1 s lifetime) and served on one opened with the new password; none may fail meanwhile.
      const statuses = new Set<number>();
      const request = async () => {
        const res = await fetch(`${url}/api/templates`);
        statuses.add(res.status);
        await res.arrayBuffer();
      };
      await waitFor(
        "the app's sessions to be replaced by ones opened after the rotation",
        async () => {
          await request();
          const { old, fresh } = await sessionsOf('cvstomize-api@rotation-check', rotatedAt);
          return old === 0 && fresh > 0;
        },
        { intervalMs: 10 },
      );
      await request();
      expect([...statuses]).toEqual([200]);
      expect(JSON.stringify(app.lines)).not.toContain(next);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The server's clock: backend_start in pg_stat_activity is compared against it. */
async function serverNow(): Promise<Date> {
  return (await adminQuery('SELECT clock_timestamp() AS now')).rows[0].now as Date;
}

/** Sessions of one application opened before and after `at`. */
async function sessionsOf(applicationName: string, at: Date): Promise<{ old: number; fresh: number }> {
  const { rows } = await adminQuery(
    `SELECT count(*) FILTER (WHERE backend_start < '${at.toISOString()}')::int AS old, count(*) FILTER (WHERE backend_start >= '${at.toISOString()}')::int AS fresh FROM pg_stat_activity WHERE application_name = '${applicationName}'`,
  );
  return rows[0] as { old: number; fresh: number };
}

function dbEnvClient(role: TestRole): pg.ClientConfig {
  return {
    host: role.host,
    port: role.port,
    user: role.user,
    password: role.password,
    database: role.database.name,
  };
}
