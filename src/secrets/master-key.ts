import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProdguardError, UsageError } from '../kernel/errors.js';
import { makePrivateDir } from '../kernel/private-dir.js';

/** Environment variable that holds the master key (base64 or hex of 32 bytes); wins over the key file. */
export const MASTER_KEY_ENV = 'PRODGUARD_MASTER_KEY';
export const MASTER_KEY_FILE = 'master.key';

/** The 256-bit key that encrypts every secret version. `id` is a keyed fingerprint, safe to store and show. */
export interface MasterKey {
  readonly id: string;
  readonly bytes: Buffer;
  readonly source: 'env' | 'file';
  /** The key file, when the key came from one. */
  readonly file?: string;
}

export function masterKeyFilePath(stateDir: string): string {
  return join(stateDir, MASTER_KEY_FILE);
}

/** Fingerprint of a key: HMAC, so it reveals nothing about the key bytes. */
export function masterKeyId(bytes: Buffer): string {
  return createHmac('sha256', bytes).update('prodguard master key id').digest('hex').slice(0, 16);
}

/** Accepts 64 hex characters or base64 (standard or url-safe) of exactly 32 bytes. */
export function parseMasterKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) bytes = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (decoded.length === 32) bytes = decoded;
  }
  if (!bytes) {
    throw new UsageError(
      'PRODGUARD_SECRET_KEY_INVALID',
      `The master key in ${source} is not 32 bytes of base64 or hex.`,
      {
        hint: 'Generate one with `openssl rand -base64 32` (or let prodguard create the key file under the state folder).',
      },
    );
  }
  return bytes;
}

function formatKey(bytes: Buffer): string {
  return `${bytes.toString('base64')}\n`;
}

/** Writes a key file with mode 0600, atomically (temp file + rename). */
export function writeMasterKeyFile(file: string, bytes: Buffer): void {
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, formatKey(bytes), { mode: 0o600, flag: 'w' });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

export interface EnsureMasterKeyFileResult {
  file: string;
  created: boolean;
}

/**
 * Creates `<stateDir>/master.key` (0600, 32 random bytes) unless it exists. `prodguard init` calls it, and the
 * vault calls it on first use. When PRODGUARD_MASTER_KEY is set the file is not needed and not created.
 */
export function ensureMasterKeyFile(
  stateDir: string,
  env: NodeJS.ProcessEnv = {},
): EnsureMasterKeyFileResult {
  const file = masterKeyFilePath(stateDir);
  if (env[MASTER_KEY_ENV] || existsSync(file)) return { file, created: false };
  makePrivateDir(stateDir);
  writeMasterKeyFile(file, randomBytes(32));
  return { file, created: true };
}

function readKeyFile(file: string): Buffer {
  const mode = statSync(file).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new ProdguardError(
      'PRODGUARD_SECRET_KEY_FILE_UNSAFE',
      `The master key file ${file} is readable by other users (mode ${mode.toString(8)}).`,
      { kind: 'usage', hint: `Run \`chmod 600 ${file}\`; anyone who can read it can decrypt every secret.` },
    );
  }
  return parseMasterKey(readFileSync(file, 'utf8'), file);
}

export interface LoadMasterKeyOptions {
  env: NodeJS.ProcessEnv;
  stateDir: string;
  /** Create the key file when neither the variable nor the file exists (first use). */
  create?: boolean;
}

/** The master key from PRODGUARD_MASTER_KEY, else from the key file (created on first use when asked). */
export function loadMasterKey(options: LoadMasterKeyOptions): MasterKey {
  const fromEnv = options.env[MASTER_KEY_ENV];
  if (fromEnv) {
    const bytes = parseMasterKey(fromEnv, `$${MASTER_KEY_ENV}`);
    return { id: masterKeyId(bytes), bytes, source: 'env' };
  }
  const file = masterKeyFilePath(options.stateDir);
  if (!existsSync(file)) {
    if (!options.create) {
      throw new UsageError(
        'PRODGUARD_SECRET_KEY_INVALID',
        `No master key: ${MASTER_KEY_ENV} is not set and ${file} does not exist.`,
        {
          hint: 'Run `prodguard init`, or set PRODGUARD_MASTER_KEY to the key this state folder was encrypted with.',
        },
      );
    }
    ensureMasterKeyFile(options.stateDir);
  }
  const bytes = readKeyFile(file);
  return { id: masterKeyId(bytes), bytes, source: 'file', file };
}

/** The file a master-key rotation writes before committing, so a crash in between can be completed. */
export function nextMasterKeyFilePath(stateDir: string): string {
  return `${masterKeyFilePath(stateDir)}.next`;
}

/** Reads a pending `master.key.next`, if a rotation left one. */
export function readNextMasterKey(stateDir: string): MasterKey | undefined {
  const file = nextMasterKeyFilePath(stateDir);
  if (!existsSync(file)) return undefined;
  const bytes = readKeyFile(file);
  return { id: masterKeyId(bytes), bytes, source: 'file', file };
}
