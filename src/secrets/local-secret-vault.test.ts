import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../kernel/clock.js';
import { StateStore } from '../store/state-store.js';
import { LocalSecretVault } from './local-secret-vault.js';
import {
  ensureMasterKeyFile,
  loadMasterKey,
  type MasterKey,
  masterKeyId,
  parseMasterKey,
} from './master-key.js';
import { openSecretVault } from './open-secret-vault.js';
import { rotateMasterKey } from './rotate-master-key.js';

const ref = { name: 'DATABASE_URL', environment: 'staging' };
const VALUE = 'postgresql://app_a:Sup3r-Secret-Passw0rd@db.internal:5432/app';

function keyOf(bytes: Buffer): MasterKey {
  return { id: masterKeyId(bytes), bytes, source: 'env' };
}

describe('LocalSecretVault', () => {
  let dir: string;
  let store: StateStore;
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-vault-'));
    store = StateStore.open(join(dir, 'state.db'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips values; versions are numbered from 1 and never reused', async () => {
    const vault = LocalSecretVault.open(store, keyOf(randomBytes(32)), clock);
    const v1 = await vault.addVersion(ref, VALUE, {
      actor: 'a@x',
      kind: 'postgres',
      metadata: { role: 'app_a' },
    });
    const v2 = await vault.addVersion(ref, `${VALUE}2`, { actor: 'a@x', kind: 'postgres' });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(await vault.accessVersion(ref, 1)).toBe(VALUE);
    expect(await vault.accessVersion(ref, 2)).toBe(`${VALUE}2`);
    await vault.scheduleDestroy(ref, 2, new Date(clock.nowMs() + 1000));
    clock.advance(1000);
    expect((await vault.purgeDue()).map((v) => v.version)).toEqual([2]);
    const v3 = await vault.addVersion(ref, 'third', { actor: 'a@x', kind: 'postgres' });
    expect(v3.version).toBe(3);
    expect((await vault.getVersion(ref, 1))?.metadata).toEqual({ role: 'app_a' });
  });

  it('stores only ciphertext, with a unique 96-bit nonce per version', async () => {
    const vault = LocalSecretVault.open(store, keyOf(randomBytes(32)), clock);
    await vault.addVersion(ref, VALUE, { actor: 'a@x', kind: 'postgres' });
    await vault.addVersion(ref, VALUE, { actor: 'a@x', kind: 'postgres' });
    const rows = store.db
      .prepare<[], { nonce: Buffer; ciphertext: Buffer }>('SELECT nonce, ciphertext FROM secret_versions')
      .all();
    expect(rows[0]!.nonce).toHaveLength(12);
    expect(rows[0]!.nonce.equals(rows[1]!.nonce)).toBe(false);
    expect(rows[0]!.ciphertext.equals(rows[1]!.ciphertext)).toBe(false);
    store.close();
    expect(readFileSync(join(dir, 'state.db')).includes(Buffer.from('Sup3r-Secret'))).toBe(false);
    store = StateStore.open(join(dir, 'state.db'));
  });

  it('refuses a wrong master key with PRODGUARD_SECRET_KEY_MISMATCH and changes nothing', async () => {
    const right = keyOf(randomBytes(32));
    const vault = LocalSecretVault.open(store, right, clock);
    await vault.addVersion(ref, VALUE, { actor: 'a@x', kind: 'postgres' });
    const before = store.db.prepare('SELECT * FROM secret_versions').all();
    expect(() => LocalSecretVault.open(store, keyOf(randomBytes(32)), clock)).toThrow(
      expect.objectContaining({ code: 'PRODGUARD_SECRET_KEY_MISMATCH' }),
    );
    expect(store.db.prepare('SELECT * FROM secret_versions').all()).toEqual(before);
  });

  it('detects tampered ciphertext and ciphertext moved to another version (AAD)', async () => {
    const vault = LocalSecretVault.open(store, keyOf(randomBytes(32)), clock);
    await vault.addVersion(ref, VALUE, { actor: 'a@x', kind: 'postgres' });
    await vault.addVersion(ref, 'other value', { actor: 'a@x', kind: 'postgres' });
    const row = store.db
      .prepare<[], { ciphertext: Buffer }>('SELECT ciphertext FROM secret_versions WHERE version = 1')
      .get()!;
    const flipped = Buffer.from(row.ciphertext);
    flipped[0] = flipped[0]! ^ 1;
    store.db.prepare('UPDATE secret_versions SET ciphertext = ? WHERE version = 1').run(flipped);
    await expect(vault.accessVersion(ref, 1)).rejects.toMatchObject({ code: 'PRODGUARD_SECRET_TAMPERED' });
    // swap v2's sealed value into v3's place: same key, wrong metadata
    const v2 = store.db
      .prepare<[], { nonce: Buffer; ciphertext: Buffer; tag: Buffer }>(
        'SELECT nonce, ciphertext, tag FROM secret_versions WHERE version = 2',
      )
      .get()!;
    await vault.addVersion(ref, 'third', { actor: 'a@x', kind: 'postgres' });
    store.db
      .prepare('UPDATE secret_versions SET nonce = ?, ciphertext = ?, tag = ? WHERE version = 3')
      .run(v2.nonce, v2.ciphertext, v2.tag);
    await expect(vault.accessVersion(ref, 3)).rejects.toMatchObject({ code: 'PRODGUARD_SECRET_TAMPERED' });
    expect(await vault.accessVersion(ref, 2)).toBe('other value');
  });

  it('disabled versions cannot be read; enabling cancels a scheduled destruction', async () => {
    const vault = LocalSecretVault.open(store, keyOf(randomBytes(32)), clock);
    await vault.addVersion(ref, VALUE, { actor: 'a@x', kind: 'postgres' });
    await vault.scheduleDestroy(ref, 1, new Date(clock.nowMs() + 60_000));
    await expect(vault.accessVersion(ref, 1)).rejects.toMatchObject({
      code: 'PRODGUARD_SECRET_VERSION_UNAVAILABLE',
    });
    await vault.enableVersion(ref, 1);
    clock.advance(120_000);
    expect(await vault.purgeDue()).toEqual([]);
    expect(await vault.accessVersion(ref, 1)).toBe(VALUE);
  });
});

describe('master key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prodguard-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('parses base64 and hex of 32 bytes and rejects anything else', () => {
    const bytes = randomBytes(32);
    expect(parseMasterKey(bytes.toString('base64'), 'x').equals(bytes)).toBe(true);
    expect(parseMasterKey(bytes.toString('hex'), 'x').equals(bytes)).toBe(true);
    expect(() => parseMasterKey(randomBytes(16).toString('base64'), '$PRODGUARD_MASTER_KEY')).toThrow(
      expect.objectContaining({ code: 'PRODGUARD_SECRET_KEY_INVALID' }),
    );
  });

  it('ensureMasterKeyFile creates a 0600 key once; a group-readable file is refused', () => {
    const first = ensureMasterKeyFile(dir);
    expect(first.created).toBe(true);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    const content = readFileSync(first.file, 'utf8');
    expect(ensureMasterKeyFile(dir).created).toBe(false);
    expect(readFileSync(first.file, 'utf8')).toBe(content);
    writeFileSync(first.file, content);
    chmodSync(first.file, 0o644);
    expect(() => loadMasterKey({ env: {}, stateDir: dir })).toThrow(
      expect.objectContaining({ code: 'PRODGUARD_SECRET_KEY_FILE_UNSAFE' }),
    );
  });

  it('master-key rotation re-encrypts everything in one transaction and swaps the key file', async () => {
    const clock = new ManualClock('2026-03-02T10:00:00Z');
    const store = StateStore.open(join(dir, 'state.db'));
    try {
      const { vault, key } = openSecretVault({ store, clock, env: {}, stateDir: dir });
      for (let i = 0; i < 5; i++) await vault.addVersion(ref, `value-${i}`, { actor: 'a@x', kind: 'random' });
      const audit = { events: [] as unknown[], append: (e: unknown) => audit.events.push(e) };
      const result = rotateMasterKey({
        store,
        clock,
        audit: audit as never,
        actor: 'a@x',
        stateDir: dir,
        current: key,
      });
      expect(result.reencrypted).toBe(5);
      expect(result.keyId).not.toBe(key.id);
      const reopened = openSecretVault({ store, clock, env: {}, stateDir: dir });
      expect(reopened.key.id).toBe(result.keyId);
      expect(await reopened.vault.accessVersion(ref, 5)).toBe('value-4');
      // the old key no longer opens the store
      expect(() => LocalSecretVault.open(store, key, clock)).toThrow(
        expect.objectContaining({ code: 'PRODGUARD_SECRET_KEY_MISMATCH' }),
      );
      expect(JSON.stringify(audit.events)).not.toContain('value-');
    } finally {
      store.close();
    }
  });

  it('a master-key rotation that fails half way (tampered row) leaves every value under the old key', async () => {
    const clock = new ManualClock('2026-03-02T10:00:00Z');
    const store = StateStore.open(join(dir, 'state.db'));
    try {
      const { vault, key } = openSecretVault({ store, clock, env: {}, stateDir: dir });
      for (let i = 0; i < 3; i++) await vault.addVersion(ref, `value-${i}`, { actor: 'a@x', kind: 'random' });
      const row = store.db
        .prepare<[], { tag: Buffer }>('SELECT tag FROM secret_versions WHERE version = 3')
        .get()!;
      const bad = Buffer.from(row.tag);
      bad[0] = bad[0]! ^ 0xff;
      store.db.prepare('UPDATE secret_versions SET tag = ? WHERE version = 3').run(bad);
      const before = store.db.prepare('SELECT * FROM secret_versions').all();
      expect(() =>
        rotateMasterKey({
          store,
          clock,
          audit: { append: () => ({}) as never },
          actor: 'a@x',
          stateDir: dir,
          current: key,
        }),
      ).toThrow(expect.objectContaining({ code: 'PRODGUARD_SECRET_TAMPERED' }));
      expect(store.db.prepare('SELECT * FROM secret_versions').all()).toEqual(before);
      const reopened = openSecretVault({ store, clock, env: {}, stateDir: dir });
      expect(reopened.key.id).toBe(key.id);
      expect(await reopened.vault.accessVersion(ref, 1)).toBe('value-0');
    } finally {
      store.close();
    }
  });
});
