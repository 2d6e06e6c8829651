import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCloudSqlProxy } from '../../../src/gcp/cloudsql/cloud-sql-proxy.js';
import { cloudSqlRoleAdmin } from '../../../src/gcp/cloudsql/cloud-sql-role-admin.js';
import { runCloudSqlBackup } from '../../../src/gcp/cloudsql/run-cloud-sql-backup.js';
import { createRestTransport, PlanTransport, renderPlan } from '../../../src/gcp/transport/index.js';
import { ManualClock, systemClock } from '../../../src/kernel/clock.js';
import { freePort } from '../../../src/kernel/free-port.js';
import { FakeGcp } from '../../fakes/gcp/index.js';

const INSTANCE = { project: 'p1', instance: 'prod-db' };

describe('Cloud SQL over the Admin API fake', () => {
  let clock: ManualClock;
  let fake: FakeGcp;
  beforeEach(async () => {
    clock = new ManualClock('2026-03-04T10:00:00Z');
    fake = await FakeGcp.start({ now: () => clock.now(), sqlOperationPolls: 3 });
    fake.sql.seedInstance('p1', 'prod-db');
    fake.sql.seedUser('p1', 'prod-db', 'app_b', 'old-password-value');
  });
  afterEach(() => fake.close());

  const transport = () => createRestTransport({ token: async () => 't', clock, baseUrl: fake.baseUrl });
  const admin = () =>
    cloudSqlRoleAdmin({
      transport: transport(),
      clock,
      instance: INSTANCE,
      pollIntervalMs: 1_000,
      // A login as rotation's test step makes it; the fake knows which password new logins accept.
      login: async (url) => {
        const u = new URL(url);
        return fake.sql.loginWorks('p1', 'prod-db', u.username, decodeURIComponent(u.password))
          ? { ok: true }
          : { ok: false, code: '28P01', message: `password authentication failed for user "${u.username}"` };
      },
      sqlAdmin: {
        setupRoles: async () => [],
        setupReadonlyRole: async () => ({ created: false, warnings: [] }),
      },
    });

  it('sets the password with users.update, waits for the SQL operation, and keeps the password out of every log', async () => {
    await admin().setPassword('unused-admin-url', 'app_b', 'n3w-Password-value-42');
    const put = fake.http.log.find((l) => l.method === 'PUT')!;
    expect(`${put.path}${put.query}`).toBe('/v1/projects/p1/instances/prod-db/users?name=app_b');
    expect(put.body).toEqual({ name: 'app_b', password: 'n3w-Password-value-42' });
    expect(fake.http.log.filter((l) => l.path.includes('/operations/')).length).toBe(3);
  });

  it('the new password works for new logins only after propagation: a rotation-style login loop waits it out', async () => {
    fake.sql.propagationDelayMs = 9 * 60_000; // within the seed's 5–15 minutes
    const a = admin();
    await a.setPassword('', 'app_b', 'n3w-Password-value-42');
    const url = 'postgres://app_b:n3w-Password-value-42@127.0.0.1:5432/app';
    const started = clock.nowMs();
    let attempts = 0;
    // The loop rotate-secret's `test` step runs: interval 5 s, timeout secrets.propagationTimeout (15 m).
    for (;;) {
      attempts++;
      if ((await a.tryLogin(url)).ok) break;
      expect(clock.nowMs() - started).toBeLessThan(15 * 60_000);
      await clock.sleep(5_000);
    }
    expect(clock.nowMs() - started).toBeGreaterThanOrEqual(9 * 60_000 - 5_000);
    expect(attempts).toBeGreaterThan(100);
    // Once the new password took effect, the old one no longer opens new connections.
    expect(fake.sql.loginWorks('p1', 'prod-db', 'app_b', 'old-password-value')).toBe(false);
  });

  it('takes an on-demand backup and waits for SUCCESSFUL', async () => {
    const record = await runCloudSqlBackup(
      { environment: 'production', instance: INSTANCE, reason: 'migration 20260304_add_index' },
      { transport: transport(), clock, pollIntervalMs: 1_000 },
    );
    expect(record).toMatchObject({
      status: 'SUCCESSFUL',
      instance: 'prod-db',
      reason: 'migration 20260304_add_index',
    });
    expect(fake.sql.backupRuns.get('p1/prod-db')![0]).toMatchObject({
      status: 'SUCCESSFUL',
      type: 'ON_DEMAND',
    });
  });

  it('refuses the migration when the backup fails', async () => {
    fake.sql.failNextBackup('Backup failed: instance is under maintenance.');
    await expect(
      runCloudSqlBackup(
        { environment: 'production', instance: INSTANCE },
        { transport: transport(), clock, pollIntervalMs: 1_000 },
      ),
    ).rejects.toMatchObject({
      code: 'PRODGUARD_DB_BACKUP_FAILED',
      kind: 'refused',
      message: expect.stringContaining('under maintenance'),
    });
  });

  it('plans a rotation set step without calling users.update', async () => {
    const plan = new PlanTransport({ reads: transport() });
    const planned = cloudSqlRoleAdmin({
      transport: plan,
      clock,
      instance: INSTANCE,
      login: async () => ({ ok: true }),
      sqlAdmin: {
        setupRoles: async () => [],
        setupReadonlyRole: async () => ({ created: false, warnings: [] }),
      },
    });
    await planned.setPassword('', 'app_b', 'n3w-Password-value-42');
    expect(fake.http.log).toEqual([]);
    expect(renderPlan(plan.calls)).toBe(
      'PUT https://sqladmin.googleapis.com/v1/projects/p1/instances/prod-db/users?name=app_b\n  {"name":"app_b","password":"[redacted]"}',
    );
  });
});

describe('Cloud SQL Auth Proxy helper', () => {
  it('starts the proxy binary, waits for its port, rewrites the URL to it, and stops it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prodguard-proxy-'));
    try {
      // A stand-in binary with the proxy's command line: <connection> --port N --address A.
      const bin = join(dir, 'cloud-sql-proxy');
      writeFileSync(
        bin,
        `#!${process.execPath}\nconst a=process.argv.slice(2);const port=Number(a[a.indexOf('--port')+1]);\nrequire('node:net').createServer((s)=>s.end()).listen(port,'127.0.0.1');process.on('SIGTERM',()=>process.exit(0));\n`,
      );
      chmodSync(bin, 0o755);
      const port = await freePort();
      const proxy = await startCloudSqlProxy({
        connectionName: 'p1:europe-west1:prod-db',
        port,
        binary: bin,
        clock: systemClock,
      });
      expect(proxy.url('postgres://app:pw@10.0.0.5:5432/app')).toBe(
        `postgres://app:pw@127.0.0.1:${port}/app`,
      );
      await proxy.stop();
      await expect(
        startCloudSqlProxy({ connectionName: 'x', port, binary: join(dir, 'missing'), clock: systemClock }),
      ).rejects.toMatchObject({ code: 'PRODGUARD_GCP_PROXY_FAILED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
