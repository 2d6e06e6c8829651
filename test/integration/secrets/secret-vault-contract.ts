import { describe, expect, it } from 'vitest';
import type { ManualClock } from '../../../src/kernel/clock.js';
import type { SecretVault } from '../../../src/secrets/index.js';

export interface VaultUnderTest {
  vault: SecretVault;
  clock: ManualClock;
  close(): Promise<void> | void;
}

/**
 * What every SecretVault backend must do (the local encrypted vault today, a Secret Manager adapter later):
 * run it with `runSecretVaultContract('name', makeVault)`.
 */
export function runSecretVaultContract(name: string, makeVault: () => Promise<VaultUnderTest>): void {
  const ref = { name: 'DATABASE_URL', environment: 'staging' };
  const with_ = async (fn: (t: VaultUnderTest) => Promise<void>) => {
    const t = await makeVault();
    try {
      await fn(t);
    } finally {
      await t.close();
    }
  };

  describe(`SecretVault contract: ${name}`, () => {
    it('numbers versions from 1 per secret and environment, enabled, with metadata and author', () =>
      with_(async ({ vault }) => {
        const a = await vault.addVersion(ref, 'one', {
          actor: 'a@x',
          kind: 'postgres',
          metadata: { role: 'app_a' },
        });
        const b = await vault.addVersion(ref, 'two', { actor: 'b@x', kind: 'postgres' });
        const other = await vault.addVersion({ ...ref, environment: 'production' }, 'p', {
          actor: 'a@x',
          kind: 'postgres',
        });
        expect([a.version, b.version, other.version]).toEqual([1, 2, 1]);
        expect(a).toMatchObject({ state: 'enabled', createdBy: 'a@x', metadata: { role: 'app_a' } });
        expect((await vault.listVersions(ref)).map((v) => v.version)).toEqual([1, 2]);
        expect(await vault.accessVersion(ref, 1)).toBe('one');
        expect(await vault.getSecret(ref)).toMatchObject({ kind: 'postgres' });
        expect((await vault.listSecrets({ environment: 'production' })).map((s) => s.environment)).toEqual([
          'production',
        ]);
        expect(await vault.getVersion(ref, 9)).toBeUndefined();
        await expect(vault.accessVersion(ref, 9)).rejects.toMatchObject({
          code: 'PRODGUARD_SECRET_VERSION_NOT_FOUND',
        });
      }));

    it('disabled versions refuse access until enabled again', () =>
      with_(async ({ vault }) => {
        await vault.addVersion(ref, 'one', { actor: 'a@x', kind: 'random' });
        expect((await vault.disableVersion(ref, 1)).state).toBe('disabled');
        await expect(vault.accessVersion(ref, 1)).rejects.toMatchObject({
          code: 'PRODGUARD_SECRET_VERSION_UNAVAILABLE',
        });
        expect((await vault.enableVersion(ref, 1)).state).toBe('enabled');
        expect(await vault.accessVersion(ref, 1)).toBe('one');
      }));

    it('scheduled destruction erases the value after its time; numbers are never reused', () =>
      with_(async ({ vault, clock }) => {
        await vault.addVersion(ref, 'one', { actor: 'a@x', kind: 'random' });
        await vault.addVersion(ref, 'two', { actor: 'a@x', kind: 'random' });
        const scheduled = await vault.scheduleDestroy(ref, 1, new Date(clock.nowMs() + 60_000));
        expect(scheduled).toMatchObject({
          state: 'disabled',
          destroyAfter: new Date(clock.nowMs() + 60_000).toISOString(),
        });
        clock.advance(59_000);
        expect(await vault.purgeDue()).toEqual([]);
        clock.advance(1_000);
        expect((await vault.purgeDue()).map((v) => `${v.version}:${v.state}`)).toEqual(['1:destroyed']);
        await expect(vault.accessVersion(ref, 1)).rejects.toMatchObject({
          code: 'PRODGUARD_SECRET_VERSION_UNAVAILABLE',
        });
        await expect(vault.enableVersion(ref, 1)).rejects.toMatchObject({
          code: 'PRODGUARD_SECRET_VERSION_UNAVAILABLE',
        });
        expect((await vault.addVersion(ref, 'three', { actor: 'a@x', kind: 'random' })).version).toBe(3);
        expect(await vault.accessVersion(ref, 2)).toBe('two');
      }));
  });
}
