import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates `dir` mode 0700 when missing (an existing one is left as it is), and the missing folders on the way 0711: enterable,
 * not listable. `mkdir -p` with 0700 would close every new ancestor too, so a revision running as another
 * user could no longer reach its own folder beside the private one (e.g. a fresh $PRODGUARD_STATE_HOME).
 *
 * @example makePrivateDir(paths.state);
 */
export function makePrivateDir(dir: string): void {
  const parent = dirname(dir);
  if (!existsSync(parent)) mkdirSync(parent, { recursive: true, mode: 0o711 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * makePrivateDir, and an existing folder is tightened to 0700 too: for folders older versions (or a looser
 * umask) left open, whose contents must be owner-only whoever created them.
 */
export function makeOwnerOnlyDir(dir: string): void {
  makePrivateDir(dir);
  chmodSync(dir, 0o700);
}
