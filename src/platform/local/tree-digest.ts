import { createHash } from 'node:crypto';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * sha256 over a built tree: every file, symlink and directory in code-unit order of its relative path,
 * each file as `path \0 type \0 executable \0 sha256(content or link target) \n`, any other entry (a FIFO or
 * socket a build left) by its path and kind. Nothing is skipped:
 * installed dependencies (node_modules at any depth) and dot-files are the bytes that run, so they count.
 * Only timestamps and owners do not.
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
    const full = join(root, path);
    if (entry.isDirectory()) {
      outer.update(`${path}\0dir\0-\0-\n`);
      await walk(root, path, outer);
    } else if (entry.isSymbolicLink()) {
      const target = await readlink(full);
      outer.update(`${path}\0link\0-\0${sha256(target)}\n`);
    } else if (entry.isFile()) {
      const [content, info] = await Promise.all([readFile(full), stat(full)]);
      const executable = (info.mode & 0o111) !== 0 ? 'x' : '-';
      outer.update(`${path}\0file\0${executable}\0${sha256(content)}\n`);
    } else {
      // A FIFO, socket or device a build left behind has no content to hash; its path and kind still count.
      outer.update(`${path}\0other\0-\0-\n`);
    }
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
