import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import type { AuditLog } from '../audit/audit-log.js';
import { runAuditedSync } from '../audit/run-audited.js';
import type { Clock } from '../kernel/clock.js';
import { UsageError } from '../kernel/errors.js';
import type { StateStore } from '../store/state-store.js';
import { sealedFromRow, verifyMasterKey, writeKeyCheck } from './local-secret-vault.js';
import {
  type MasterKey,
  masterKeyFilePath,
  masterKeyId,
  nextMasterKeyFilePath,
  writeMasterKeyFile,
} from './master-key.js';
import { openSealedValue, rotationAad, sealValue, versionAad } from './secret-cipher.js';

export interface RotateMasterKeyOptions {
  store: StateStore;
  clock: Clock;
  audit: Pick<AuditLog, 'append'>;
  actor: string;
  stateDir: string;
  current: MasterKey;
  /** The new key's bytes; generated when omitted (key file mode only). */
  newKey?: Buffer;
}

export interface RotateMasterKeyResult {
  previousKeyId: string;
  keyId: string;
  reencrypted: number;
  /** Where the new key now lives: the key file, or the caller must update $PRODGUARD_MASTER_KEY. */
  storage: 'file' | 'env';
  file?: string;
}

/**
 * Re-encrypts every version value and every pending rotation value under a new master key, in one
 * transaction: either everything is under the new key or nothing changed. With a key file the new key is
 * written to master.key.next before the commit and renamed after it, so a crash at any point leaves a key
 * that opens the store (openSecretVault completes the rename).
 */
export function rotateMasterKey(options: RotateMasterKeyOptions): RotateMasterKeyResult {
  const { store, current } = options;
  if (!options.newKey && current.source === 'env') {
    throw new UsageError(
      'PRODGUARD_SECRET_KEY_INVALID',
      'The master key comes from PRODGUARD_MASTER_KEY; prodguard cannot store a new one there.',
      {
        hint: 'Generate one (openssl rand -base64 32), pass it with --new-key-stdin, then update PRODGUARD_MASTER_KEY.',
      },
    );
  }
  verifyMasterKey(store, current, options.clock);
  return runAuditedSync(
    options.audit,
    {
      actor: options.actor,
      action: 'secrets.rotate-master-key',
      target: 'master key',
      details: { previousKeyId: current.id },
    },
    () => reencryptUnderNewKey(options),
    (result) => ({ details: { keyId: result.keyId, reencrypted: result.reencrypted } }),
  ).value;
}

function reencryptUnderNewKey(options: RotateMasterKeyOptions): RotateMasterKeyResult {
  const { store, current } = options;
  const bytes = options.newKey ?? randomBytes(32);
  const next: MasterKey = { id: masterKeyId(bytes), bytes, source: current.source };
  if (current.source === 'file') writeMasterKeyFile(nextMasterKeyFilePath(options.stateDir), bytes);
  const now = options.clock.now().toISOString();
  const reencrypted = store.transaction(() => {
    let count = 0;
    const versions = store.db
      .prepare<
        [],
        {
          name: string;
          environment: string;
          version: number;
          key_id: string;
          nonce: Buffer;
          ciphertext: Buffer;
          tag: Buffer;
        }
      >(
        'SELECT name, environment, version, key_id, nonce, ciphertext, tag FROM secret_versions WHERE ciphertext IS NOT NULL',
      )
      .all();
    const updateVersion = store.db.prepare(
      'UPDATE secret_versions SET key_id = ?, nonce = ?, ciphertext = ?, tag = ? WHERE name = ? AND environment = ? AND version = ?',
    );
    for (const row of versions) {
      const aad = versionAad(row.name, row.environment, row.version);
      const plain = openSealedValue(
        current,
        sealedFromRow(row),
        aad,
        `${row.name} v${row.version} (${row.environment})`,
      );
      const sealed = sealValue(next, plain, aad);
      updateVersion.run(
        sealed.keyId,
        sealed.nonce,
        sealed.ciphertext,
        sealed.tag,
        row.name,
        row.environment,
        row.version,
      );
      count++;
    }
    const pending = store.db
      .prepare<
        [],
        {
          id: string;
          pending_key_id: string;
          pending_nonce: Buffer;
          pending_ciphertext: Buffer;
          pending_tag: Buffer;
        }
      >(
        'SELECT operation_id AS id, key_id AS pending_key_id, nonce AS pending_nonce, ciphertext AS pending_ciphertext, tag AS pending_tag FROM secret_rotation_pending',
      )
      .all();
    const updatePending = store.db.prepare(
      'UPDATE secret_rotation_pending SET key_id = ?, nonce = ?, ciphertext = ?, tag = ? WHERE operation_id = ?',
    );
    for (const row of pending) {
      const aad = rotationAad(row.id);
      const plain = openSealedValue(
        current,
        {
          keyId: row.pending_key_id,
          nonce: row.pending_nonce,
          ciphertext: row.pending_ciphertext,
          tag: row.pending_tag,
        },
        aad,
        `pending value of rotation ${row.id}`,
      );
      const sealed = sealValue(next, plain, aad);
      updatePending.run(sealed.keyId, sealed.nonce, sealed.ciphertext, sealed.tag, row.id);
      count++;
    }
    writeKeyCheck(store, next, now, now);
    return count;
  });
  let file: string | undefined;
  if (current.source === 'file') {
    file = masterKeyFilePath(options.stateDir);
    renameSync(nextMasterKeyFilePath(options.stateDir), file);
  }
  return {
    previousKeyId: current.id,
    keyId: next.id,
    reencrypted,
    storage: current.source,
    ...(file ? { file } : {}),
  };
}
