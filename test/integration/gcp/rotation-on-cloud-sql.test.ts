import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cloudSqlRoleAdmin } from '../../../src/gcp/cloudsql/cloud-sql-role-admin.js';
import { SecretManagerVault } from '../../../src/gcp/secret-manager/secret-manager-vault.js';
import { createRestTransport } from '../../../src/gcp/transport/index.js';
import { addSecretVersion, pgRoleAdmin, rotateSecret, setupRoles } from '../../../src/secrets/index.js';
import { FakeGcp } from '../../fakes/gcp/index.js';
import { createSecretsHarness, PoolRoller, type SecretsHarness } from '../secrets/secrets-harness.js';

const ENV = 'staging';
const NAME = 'DATABASE_URL';

// rotateSecret unchanged, with Secret Manager as the vault and Cloud SQL users.update as the `set` step.
// The Cloud SQL instance is the fake, backed by the real PostgreSQL of the harness: a password set with
// users.update reaches PostgreSQL only once the fake's propagation delay (9 minutes) has passed, which
// is when new logins start accepting it, as the seed observed on Cloud SQL.
describe('password rotation on Cloud SQL (fake Admin API over real PostgreSQL)', () => {
  let h: SecretsHarness;
  let fake: FakeGcp;
  let roller: PoolRoller;
  const applied = new Set<string>();

  /** Passwords whose propagation time has passed become real in PostgreSQL before a new login. */
  async function propagate(): Promise<void> {
    const now = h.clock.nowMs();
    for (const [key, user] of fake.sql.users) {
      const due = user.passwords.filter((p) => p.effectiveAtMs <= now).pop();
      if (!due || applied.has(`${key}:${due.password}`)) continue;
      applied.add(`${key}:${due.password}`);
      await pgRoleAdmin.setPassword(h.adminUrl, user.name, due.password);
    }
  }

  beforeEach(async () => {
    h = await createSecretsHarness();
    fake = await FakeGcp.start({ now: () => h.clock.now(), sqlOperationPolls: 2 });
    fake.sql.seedInstance('p1', 'api-db');
    const transport = createRestTransport({ token: async () => 't', clock: h.clock, baseUrl: fake.baseUrl });
    h.ctx.vault = new SecretManagerVault({ transport, clock: h.clock, project: 'p1' });
    // The seed's Cloud SQL propagation takes 5–15 minutes: the default timeout (15 m) covers it.
    h.ctx.config = {
      ...h.ctx.config,
      secrets: { ...h.ctx.config.secrets, propagationTimeout: 15 * 60_000, propagationInterval: 5_000 },
    };
    await addSecretVersion(h.ctx, {
      name: `${NAME}_ADMIN`,
      environment: ENV,
      kind: 'external',
      value: h.adminUrl,
    });
    await setupRoles(h.ctx, { name: NAME, environment: ENV }, { postgres: pgRoleAdmin });
    for (const member of ['a', 'b'])
      fake.sql.seedUser('p1', 'api-db', `${h.group}_${member}`, 'set-by-setup-roles');
    roller = new PoolRoller(h.ctx.vault, ENV);
    h.ctx.roller = roller;
    h.ctx.running = roller;
    await roller.start(h.ctx.pins.forEnvironment(ENV));
  });
  afterEach(async () => {
    await roller?.close();
    await fake?.close();
    await h?.close();
  });

  it('sets the password with users.update, waits out 9 minutes of propagation, then rolls out the new version', async () => {
    fake.sql.propagationDelayMs = 9 * 60_000;
    const transport = createRestTransport({ token: async () => 't', clock: h.clock, baseUrl: fake.baseUrl });
    const roles = cloudSqlRoleAdmin({
      transport,
      clock: h.clock,
      instance: { project: 'p1', instance: 'api-db' },
      pollIntervalMs: 1_000,
      login: async (url) => {
        await propagate();
        return pgRoleAdmin.tryLogin(url);
      },
      sqlAdmin: pgRoleAdmin,
    });
    const started = h.clock.nowMs();
    const result = await rotateSecret(h.ctx, { name: NAME, environment: ENV }, h.deps({ postgres: roles }));
    expect(result.outcome, JSON.stringify(result.steps)).toBe('succeeded');
    const test = result.steps.find((s) => s.name === 'test')!;
    expect(test.detail).toMatch(/after \d{3} attempts/);
    expect(h.clock.nowMs() - started).toBeGreaterThanOrEqual(9 * 60_000);
    // users.update carried the new password for the standby user; Secret Manager holds v2; the app runs it.
    const put = fake.http.log.find((l) => l.method === 'PUT')!;
    expect(`${put.path}${put.query}`).toBe(`/v1/projects/p1/instances/api-db/users?name=${h.group}_b`);
    expect(h.ctx.pins.get({ name: NAME, environment: ENV })?.version).toBe(2);
    expect((await roller.query()).rows[0].u).toBe(h.group);
    // No value in the audit log or the logs.
    const password = (put.body as { password: string }).password;
    expect(JSON.stringify(h.audit.list())).not.toContain(password);
    expect(h.logs.join('')).not.toContain(password);
  });
});
