import { expect, it } from 'vitest';
import { crc32c } from '../../../src/gcp/secret-manager/crc32c.js';
import { SecretManagerVault } from '../../../src/gcp/secret-manager/secret-manager-vault.js';
import { createRestTransport } from '../../../src/gcp/transport/index.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { FakeGcp } from '../../fakes/gcp/index.js';
import { runSecretVaultContract } from '../secrets/secret-vault-contract.js';

async function open(options: { versionDestroyTtl?: string } = {}) {
  const clock = new ManualClock('2026-03-04T10:00:00Z');
  const fake = await FakeGcp.start({ now: () => clock.now() });
  const transport = createRestTransport({ token: async () => 't', clock, baseUrl: fake.baseUrl });
  const vault = new SecretManagerVault({ transport, clock, project: 'p1', ...options });
  return { vault, clock, fake, close: () => fake.close() };
}

runSecretVaultContract('SecretManagerVault (Secret Manager v1 over the loopback fake)', () => open());

it('CRC32C matches the Castagnoli check value', () => {
  expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
});

it('stores one Google secret per environment and name, sends the payload base64 with its CRC32C, never logs it', async () => {
  const t = await open();
  try {
    await t.vault.addVersion({ name: 'JWT_SECRET', environment: 'production' }, 'very-secret-jwt-key-123', {
      actor: 'a@x',
      kind: 'random',
    });
    const add = t.fake.http.log.find((l) => l.path.endsWith(':addVersion'))!;
    expect(add.path).toBe('/v1/projects/p1/secrets/production_JWT_SECRET:addVersion');
    expect(add.body).toEqual({
      payload: {
        data: Buffer.from('very-secret-jwt-key-123').toString('base64'),
        dataCrc32c: String(crc32c(Buffer.from('very-secret-jwt-key-123'))),
      },
    });
    const secret = t.fake.secretManager.secrets.get('projects/p1/secrets/production_JWT_SECRET')!.secret;
    expect(secret.labels).toEqual({ 'prodguard-managed': 'true', 'prodguard-environment': 'production' });
    expect(JSON.stringify(secret.annotations)).not.toContain('very-secret');
    // The value is only read by an explicit access.
    expect(t.fake.http.log.filter((l) => l.path.endsWith(':access'))).toHaveLength(0);
  } finally {
    await t.close();
  }
});

it("with Secret Manager's delayed destruction, a purged version stays recoverable on Google's side until its TTL", async () => {
  const t = await open({ versionDestroyTtl: '86400s' });
  try {
    const ref = { name: 'API_KEY', environment: 'staging' };
    await t.vault.addVersion(ref, 'one-one-one', { actor: 'a', kind: 'random' });
    await t.vault.scheduleDestroy(ref, 1, new Date(t.clock.nowMs() + 1_000));
    t.clock.advance(1_000);
    expect(await t.vault.purgeDue()).toEqual([]);
    const held = await t.vault.getVersion(ref, 1);
    expect(held).toMatchObject({ state: 'disabled', destroyAfter: '2026-03-05T10:00:01.000Z' });
    t.clock.advance(86_400_000);
    expect(await t.vault.getVersion(ref, 1)).toMatchObject({ state: 'destroyed' });
  } finally {
    await t.close();
  }
});
