import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ProdguardError } from '../kernel/errors.js';
import type { MasterKey } from './master-key.js';

/** One encrypted value: AES-256-GCM with a fresh random 96-bit nonce and a 128-bit tag. */
export interface SealedValue {
  keyId: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/**
 * Authenticated metadata of a version: moving ciphertext to another secret, environment or version number
 * makes decryption fail, so a row cannot be swapped for another.
 */
export function versionAad(name: string, environment: string, version: number): string {
  return `prodguard/secret-version/v1\u0000${name}\u0000${environment}\u0000${version}`;
}

export function rotationAad(rotationId: string): string {
  return `prodguard/rotation-pending/v1\u0000${rotationId}`;
}

export const KEY_CHECK_AAD = 'prodguard/master-key-check/v1';
export const KEY_CHECK_PLAINTEXT = 'prodguard master key check';

const TAG_BYTES = 16;
const NONCE_BYTES = 12;

export function sealValue(key: MasterKey, plaintext: string, aad: string): SealedValue {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { keyId: key.id, nonce, ciphertext, tag: cipher.getAuthTag() };
}

/**
 * Decrypts and authenticates. A different key id means the wrong master key; a failed tag under the right key
 * means the stored bytes or their metadata were changed.
 */
export function openSealedValue(key: MasterKey, sealed: SealedValue, aad: string, where: string): string {
  if (sealed.keyId !== key.id) throw keyMismatch(key, sealed.keyId);
  try {
    // GCM accepts truncated tags (down to 4 bytes) unless told otherwise; a short tag is forgeable, so it is tampering.
    if (sealed.tag.length !== TAG_BYTES || sealed.nonce.length !== NONCE_BYTES)
      throw new Error(`tag of ${sealed.tag.length} bytes or nonce of ${sealed.nonce.length} bytes`);
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, sealed.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new ProdguardError(
      'PRODGUARD_SECRET_TAMPERED',
      `${where} failed authentication: its ciphertext, nonce, tag or metadata was modified.`,
      {
        cause,
        hint: 'Do not use this version; restore the state folder from a backup or add a new version and pin it.',
      },
    );
  }
}

export function keyMismatch(key: MasterKey, storedKeyId: string): ProdguardError {
  return new ProdguardError(
    'PRODGUARD_SECRET_KEY_MISMATCH',
    `The master key from ${key.source === 'env' ? '$PRODGUARD_MASTER_KEY' : key.file} (id ${key.id}) is not the key the vault was encrypted with (id ${storedKeyId}). Nothing was changed.`,
    {
      kind: 'usage',
      hint: 'Set PRODGUARD_MASTER_KEY (or restore the key file) to the key used when the secrets were added.',
      details: { keyId: key.id, expectedKeyId: storedKeyId },
    },
  );
}
