import { existsSync, renameSync, rmSync } from 'node:fs';
import type { Clock } from '../kernel/clock.js';
import type { StateStore } from '../store/state-store.js';
import { LocalSecretVault, storedMasterKeyId } from './local-secret-vault.js';
import {
  loadMasterKey,
  type MasterKey,
  masterKeyFilePath,
  nextMasterKeyFilePath,
  readNextMasterKey,
} from './master-key.js';

export interface OpenSecretVaultOptions {
  store: StateStore;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  /** Absolute state folder (holds master.key). */
  stateDir: string;
}

export interface OpenedSecretVault {
  vault: LocalSecretVault;
  key: MasterKey;
}

/**
 * Opens the local vault with the configured master key. The key file is created on first use only (no data
 * yet), so a lost key never silently becomes a new empty vault. Completes a master-key rotation that was
 * interrupted between its commit and the key file rename.
 */
export function openSecretVault(options: OpenSecretVaultOptions): OpenedSecretVault {
  const storedId = storedMasterKeyId(options.store);
  if (!options.env.PRODGUARD_MASTER_KEY) recoverKeyFileRotation(options.stateDir, storedId);
  const key = loadMasterKey({ env: options.env, stateDir: options.stateDir, create: storedId === undefined });
  return { vault: LocalSecretVault.open(options.store, key, options.clock), key };
}

function recoverKeyFileRotation(stateDir: string, storedId: string | undefined): void {
  const next = existsSync(nextMasterKeyFilePath(stateDir)) ? readNextMasterKey(stateDir) : undefined;
  if (!next) return;
  if (storedId !== undefined && next.id === storedId) {
    // The store was re-encrypted under the new key; finish the rename.
    renameSync(nextMasterKeyFilePath(stateDir), masterKeyFilePath(stateDir));
  } else {
    // The rotation never committed: the old key is still the right one.
    rmSync(nextMasterKeyFilePath(stateDir), { force: true });
  }
}
