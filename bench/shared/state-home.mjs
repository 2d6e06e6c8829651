// Benches run prodguard on throw-away projects. Their per-project state (state database, artifacts, revision
// folders) goes under one temporary folder, removed when the bench exits, instead of piling up under
// ~/.local/state/prodguard and /var/lib/prodguard. Import this first; an explicit PRODGUARD_STATE_HOME wins.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (!process.env.PRODGUARD_STATE_HOME) {
  const dir = mkdtempSync(join(tmpdir(), 'prodguard-bench-state-'));
  // As root, revisions run as another user, which must pass through this folder (no listing).
  chmodSync(dir, 0o711);
  process.env.PRODGUARD_STATE_HOME = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}
