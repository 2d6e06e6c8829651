import { createHash } from 'node:crypto';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Names skipped at any depth: dependencies are pinned by the lockfile, which the digest covers. */
export const DIGEST_EXCLUDED_DIRS: readonly string[] = ['node_modules'];
/** Files prodguard writes into an artifact (build log, metadata) are not part of the release. */
export const DIGEST_EXCLUDED_ROOT_PREFIX = '.prodguard-';

/**
 * sha256 over a built tree: every file and symlink in code-unit order of its relative path, each as
 * `path \0 type \0 executable \0 sha256(content or link target) \n`. Timestamps, owners and node_modules
 * do not count, so the same commit built twice (or on two machines) has the same digest.
 */
export async function computeTreeDigest(root: string): Promise<string> {
  const outer = createHash('sha256');
  await walk(root, '', outer);
  return `sha256:${outer.digest('hex')}`;
}

async function walk(root: string, rel: string, outer: ReturnType<typeof createHash>): Promise<void> {
  const entries = await readdir(join(root, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (!rel && entry.name.startsWith(DIGEST_EXCLUDED_ROOT_PREFIX)) continue;
    const full = join(root, path);
    if (entry.isDirectory()) {
      if (DIGEST_EXCLUDED_DIRS.includes(entry.name)) continue;
      await walk(root, path, outer);
    } else if (entry.isSymbolicLink()) {
      const target = await readlink(full);
      outer.update(`${path}\0link\0-\0${sha256(target)}\n`);
    } else if (entry.isFile()) {
      const [content, info] = await Promise.all([readFile(full), stat(full)]);
      const executable = (info.mode & 0o111) !== 0 ? 'x' : '-';
      outer.update(`${path}\0file\0${executable}\0${sha256(content)}\n`);
    }
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
