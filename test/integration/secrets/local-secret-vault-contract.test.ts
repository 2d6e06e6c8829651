import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/kernel/clock.js';
import { LocalSecretVault, masterKeyId } from '../../../src/secrets/index.js';
import { StateStore } from '../../../src/store/index.js';
import { runSecretVaultContract } from './secret-vault-contract.js';

runSecretVaultContract('LocalSecretVault (SQLite, AES-256-GCM)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prodguard-vault-contract-'));
  const store = StateStore.open(join(dir, 'state.db'));
  const clock = new ManualClock('2026-03-04T10:00:00Z');
  const bytes = randomBytes(32);
  const vault = LocalSecretVault.open(store, { id: masterKeyId(bytes), bytes, source: 'env' }, clock);
  return {
    vault,
    clock,
    close: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
