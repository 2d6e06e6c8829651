import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The folder of prodguard's own package.json, found by walking up from this module, so the answer is the
 * same from the compiled tree (dist/kernel/) and from the CLI bundle (dist/cli-bundle/).
 */
export function prodguardPackageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'prodguard'
    ) {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('prodguard: cannot find its own package.json above its modules');
    dir = parent;
  }
}

/** The `prodguard` executable (bin/prodguard.js), for starting prodguard processes of its own (`up --detach`). */
export function prodguardBin(): string {
  return join(prodguardPackageRoot(), 'bin', 'prodguard.js');
}
