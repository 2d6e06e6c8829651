import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../kernel/clock.js';
import { StateStore } from '../store/state-store.js';
import { LocalSecretVault } from './local-secret-vault.js';
import { type MasterKey, masterKeyId } from './master-key.js';
import { openSealedValue, sealValue } from './secret-cipher.js';

const key: MasterKey = (() => {
  const bytes = randomBytes(32);
  return { id: masterKeyId(bytes), bytes, source: 'env' };
})();

describe('secret cipher: the GCM tag is the full 128 bits', () => {
  let dir: string;
  let store: StateStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-cipher-'));
    store = StateStore.open(join(dir, 'state.db'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses stored ciphertext whose tag was cut short (4, 8, 12, 15 bytes)', async () => {
    const vault = LocalSecretVault.open(store, key, new ManualClock('2026-03-02T10:00:00Z'));
    const ref = { name: 'JWT_SECRET', environment: 'staging' };
    await vault.addVersion(ref, 'a-signing-key-0123456789', { actor: 'a@x', kind: 'random' });
    const row = store.db
      .prepare<[], { tag: Buffer; nonce: Buffer }>('SELECT tag, nonce FROM secret_versions WHERE version = 1')
      .get()!;
    expect(row.tag.length).toBe(16);
    for (const length of [4, 8, 12, 15]) {
      store.db
        .prepare('UPDATE secret_versions SET tag = ? WHERE version = 1')
        .run(row.tag.subarray(0, length));
      await expect(vault.accessVersion(ref, 1)).rejects.toMatchObject({ code: 'PRODGUARD_SECRET_TAMPERED' });
    }
    store.db.prepare('UPDATE secret_versions SET tag = ? WHERE version = 1').run(row.tag);
    expect(await vault.accessVersion(ref, 1)).toBe('a-signing-key-0123456789');
  });

  it('sealed values carry a 16-byte tag and a 12-byte nonce; a truncated tag does not open', () => {
    const sealed = sealValue(key, 'value', 'aad');
    expect([sealed.tag.length, sealed.nonce.length]).toEqual([16, 12]);
    expect(openSealedValue(key, sealed, 'aad', 'v1')).toBe('value');
    expect(() => openSealedValue(key, { ...sealed, tag: sealed.tag.subarray(0, 4) }, 'aad', 'v1')).toThrow(
      expect.objectContaining({ code: 'PRODGUARD_SECRET_TAMPERED' }),
    );
  });
});
