import type { Clock } from '../kernel/clock.js';
import { ProdguardError } from '../kernel/errors.js';
import type { StateStore } from '../store/state-store.js';
import type { MasterKey } from './master-key.js';
import {
  KEY_CHECK_AAD,
  KEY_CHECK_PLAINTEXT,
  keyMismatch,
  openSealedValue,
  type SealedValue,
  sealValue,
  versionAad,
} from './secret-cipher.js';
import type {
  AddVersionOptions,
  SecretInfo,
  SecretKind,
  SecretRef,
  SecretVault,
  SecretVersionInfo,
  SecretVersionState,
} from './secret-vault.js';

interface SecretRow {
  name: string;
  environment: string;
  kind: string;
  created_at: string;
}

interface VersionRow {
  name: string;
  environment: string;
  version: number;
  state: string;
  created_at: string;
  created_by: string;
  metadata: string;
  key_id: string | null;
  nonce: Buffer | null;
  ciphertext: Buffer | null;
  tag: Buffer | null;
  state_changed_at: string;
  destroy_after: string | null;
}

function toInfo(row: SecretRow): SecretInfo {
  return {
    name: row.name,
    environment: row.environment,
    kind: row.kind as SecretKind,
    createdAt: row.created_at,
  };
}

function toVersion(row: VersionRow): SecretVersionInfo {
  return {
    name: row.name,
    environment: row.environment,
    version: row.version,
    state: row.state as SecretVersionState,
    createdAt: row.created_at,
    createdBy: row.created_by,
    stateChangedAt: row.state_changed_at,
    ...(row.destroy_after ? { destroyAfter: row.destroy_after } : {}),
    metadata: JSON.parse(row.metadata) as SecretVersionInfo['metadata'],
  };
}

export function describeVersion(ref: SecretRef, version: number): string {
  return `${ref.name} v${version} (${ref.environment})`;
}

export function versionNotFound(ref: SecretRef, version: number): ProdguardError {
  return new ProdguardError(
    'PRODGUARD_SECRET_VERSION_NOT_FOUND',
    `${describeVersion(ref, version)} does not exist.`,
    {
      kind: 'usage',
      hint: `List versions with \`prodguard secrets versions ${ref.name} --env ${ref.environment}\`.`,
    },
  );
}

/**
 * The local backend: versions live in the state store, each value sealed with AES-256-GCM under the master key.
 * Opening checks the key against a stored check value first, so a wrong key fails before anything changes.
 */
export class LocalSecretVault implements SecretVault {
  readonly #store: StateStore;
  readonly #key: MasterKey;
  readonly #clock: Clock;

  private constructor(store: StateStore, key: MasterKey, clock: Clock) {
    this.#store = store;
    this.#key = key;
    this.#clock = clock;
  }

  /** Verifies the master key (recording it on first use) and returns the vault. */
  static open(store: StateStore, key: MasterKey, clock: Clock): LocalSecretVault {
    verifyMasterKey(store, key, clock);
    return new LocalSecretVault(store, key, clock);
  }

  get keyId(): string {
    return this.#key.id;
  }

  async listSecrets(filter: { environment?: string } = {}): Promise<SecretInfo[]> {
    const rows = filter.environment
      ? this.#store.db
          .prepare<[string], SecretRow>(
            'SELECT * FROM secrets WHERE environment = ? ORDER BY environment, name',
          )
          .all(filter.environment)
      : this.#store.db.prepare<[], SecretRow>('SELECT * FROM secrets ORDER BY environment, name').all();
    return rows.map(toInfo);
  }

  async getSecret(ref: SecretRef): Promise<SecretInfo | undefined> {
    const row = this.#store.db
      .prepare<[string, string], SecretRow>('SELECT * FROM secrets WHERE name = ? AND environment = ?')
      .get(ref.name, ref.environment);
    return row ? toInfo(row) : undefined;
  }

  async addVersion(ref: SecretRef, value: string, options: AddVersionOptions): Promise<SecretVersionInfo> {
    const db = this.#store.db;
    return this.#store.transaction(() => {
      const now = this.#clock.now().toISOString();
      db.prepare(
        'INSERT INTO secrets(name, environment, kind, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      ).run(ref.name, ref.environment, options.kind, now);
      const latest = db
        .prepare<[string, string], { v: number | null }>(
          'SELECT MAX(version) AS v FROM secret_versions WHERE name = ? AND environment = ?',
        )
        .get(ref.name, ref.environment);
      const version = (latest?.v ?? 0) + 1;
      const sealed = sealValue(this.#key, value, versionAad(ref.name, ref.environment, version));
      db.prepare(
        `INSERT INTO secret_versions(name, environment, version, state, created_at, created_by, metadata, key_id, nonce, ciphertext, tag, state_changed_at)
         VALUES (?, ?, ?, 'enabled', ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        ref.name,
        ref.environment,
        version,
        now,
        options.actor,
        JSON.stringify(options.metadata ?? {}),
        sealed.keyId,
        sealed.nonce,
        sealed.ciphertext,
        sealed.tag,
        now,
      );
      return this.#row(ref, version)!;
    });
  }

  async listVersions(ref: SecretRef): Promise<SecretVersionInfo[]> {
    return this.#store.db
      .prepare<[string, string], VersionRow>(
        'SELECT * FROM secret_versions WHERE name = ? AND environment = ? ORDER BY version',
      )
      .all(ref.name, ref.environment)
      .map(toVersion);
  }

  async getVersion(ref: SecretRef, version: number): Promise<SecretVersionInfo | undefined> {
    return this.#row(ref, version);
  }

  async accessVersion(ref: SecretRef, version: number): Promise<string> {
    const row = this.#rawRow(ref, version);
    if (!row) throw versionNotFound(ref, version);
    if (row.state !== 'enabled' || !row.nonce || !row.ciphertext || !row.tag || !row.key_id) {
      throw new ProdguardError(
        'PRODGUARD_SECRET_VERSION_UNAVAILABLE',
        `${describeVersion(ref, version)} is ${row.state}${row.destroy_after ? ` (destruction scheduled for ${row.destroy_after})` : ''}; its value cannot be read.`,
        {
          kind: 'refused',
          hint:
            row.state === 'disabled'
              ? `Enable it first: prodguard secrets enable ${ref.name} ${version} --env ${ref.environment}`
              : 'Destroyed values are gone; pin another version.',
        },
      );
    }
    return openSealedValue(
      this.#key,
      { keyId: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext, tag: row.tag },
      versionAad(ref.name, ref.environment, version),
      describeVersion(ref, version),
    );
  }

  async disableVersion(ref: SecretRef, version: number): Promise<SecretVersionInfo> {
    return this.#setState(ref, version, 'disabled', null);
  }

  async enableVersion(ref: SecretRef, version: number): Promise<SecretVersionInfo> {
    return this.#setState(ref, version, 'enabled', null);
  }

  async scheduleDestroy(ref: SecretRef, version: number, destroyAfter: Date): Promise<SecretVersionInfo> {
    return this.#setState(ref, version, 'disabled', destroyAfter.toISOString());
  }

  async purgeDue(): Promise<SecretVersionInfo[]> {
    const db = this.#store.db;
    return this.#store.transaction(() => {
      const now = this.#clock.now().toISOString();
      const due = db
        .prepare<[string], VersionRow>(
          "SELECT * FROM secret_versions WHERE state = 'disabled' AND destroy_after IS NOT NULL AND destroy_after <= ?",
        )
        .all(now);
      const erase = db.prepare(
        "UPDATE secret_versions SET state = 'destroyed', nonce = NULL, ciphertext = NULL, tag = NULL, key_id = NULL, state_changed_at = ? WHERE name = ? AND environment = ? AND version = ?",
      );
      for (const row of due) erase.run(now, row.name, row.environment, row.version);
      return due.map((row) => ({ ...toVersion(row), state: 'destroyed' as const, stateChangedAt: now }));
    });
  }

  #setState(
    ref: SecretRef,
    version: number,
    state: 'enabled' | 'disabled',
    destroyAfter: string | null,
  ): SecretVersionInfo {
    return this.#store.transaction(() => {
      const row = this.#rawRow(ref, version);
      if (!row) throw versionNotFound(ref, version);
      if (row.state === 'destroyed') {
        throw new ProdguardError(
          'PRODGUARD_SECRET_VERSION_UNAVAILABLE',
          `${describeVersion(ref, version)} is destroyed.`,
          {
            kind: 'refused',
            hint: 'Destroyed versions cannot change state; add a new version instead.',
          },
        );
      }
      this.#store.db
        .prepare(
          'UPDATE secret_versions SET state = ?, destroy_after = ?, state_changed_at = ? WHERE name = ? AND environment = ? AND version = ?',
        )
        .run(state, destroyAfter, this.#clock.now().toISOString(), ref.name, ref.environment, version);
      return this.#row(ref, version)!;
    });
  }

  #rawRow(ref: SecretRef, version: number): VersionRow | undefined {
    return this.#store.db
      .prepare<[string, string, number], VersionRow>(
        'SELECT * FROM secret_versions WHERE name = ? AND environment = ? AND version = ?',
      )
      .get(ref.name, ref.environment, version);
  }

  #row(ref: SecretRef, version: number): SecretVersionInfo | undefined {
    const row = this.#rawRow(ref, version);
    return row ? toVersion(row) : undefined;
  }
}

interface KeyCheckRow {
  key_id: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function readKeyCheck(store: StateStore): KeyCheckRow | undefined {
  return store.db
    .prepare<[], KeyCheckRow>('SELECT key_id, nonce, ciphertext, tag FROM secret_master_key WHERE id = 1')
    .get();
}

/** Throws PRODGUARD_SECRET_KEY_MISMATCH unless `key` decrypts the stored check value; records it on first use. */
export function verifyMasterKey(store: StateStore, key: MasterKey, clock: Clock): void {
  const check = readKeyCheck(store);
  if (check) {
    if (check.key_id !== key.id) throw keyMismatch(key, check.key_id);
    openSealedValue(key, sealedFromRow(check), KEY_CHECK_AAD, 'The master key check value');
    return;
  }
  store.transaction(() => {
    if (readKeyCheck(store)) return;
    // Versions without a check value would mean the check row was deleted: refuse rather than adopt a new key.
    const anyVersion = store.db
      .prepare<[], { key_id: string }>('SELECT key_id FROM secret_versions WHERE key_id IS NOT NULL LIMIT 1')
      .get();
    if (anyVersion && anyVersion.key_id !== key.id) throw keyMismatch(key, anyVersion.key_id);
    writeKeyCheck(store, key, clock.now().toISOString(), null);
  });
}

export function writeKeyCheck(
  store: StateStore,
  key: MasterKey,
  createdAt: string,
  rotatedAt: string | null,
): void {
  const sealed = sealValue(key, KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD);
  store.db
    .prepare(
      `INSERT INTO secret_master_key(id, key_id, nonce, ciphertext, tag, created_at, rotated_at) VALUES (1, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce, ciphertext = excluded.ciphertext, tag = excluded.tag, rotated_at = excluded.rotated_at`,
    )
    .run(sealed.keyId, sealed.nonce, sealed.ciphertext, sealed.tag, createdAt, rotatedAt);
}

export function sealedFromRow(row: {
  key_id: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}): SealedValue {
  return { keyId: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext, tag: row.tag };
}

/** Reads the id of the key the store was encrypted with, if any. */
export function storedMasterKeyId(store: StateStore): string | undefined {
  return readKeyCheck(store)?.key_id;
}
