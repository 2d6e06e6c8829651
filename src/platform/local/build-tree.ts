import {
  chmod,
  copyFile,
  lchown,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  symlink,
} from 'node:fs/promises';
import { basename, join } from 'node:path';
import { platformError } from './platform-errors.js';

/**
 * Hands a tree prodguard just extracted (nothing else has touched it) to the build user: every entry
 * theirs, so the build can write where it likes, e.g. node_modules.
 */
export async function giveTreeTo(dir: string, uid: number, gid: number): Promise<void> {
  // Bottom-up: the top folder (root's, 0700, until now) is handed over last, so nothing reaches the tree
  // while root walks it.
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await giveTreeTo(path, uid, gid);
    else await lchown(path, uid, gid);
  }
  await lchown(dir, uid, gid);
}

/**
 * SIGKILLs every process whose group (real, effective, saved or filesystem) is `gid`: a build's own group,
 * so this finds what the build left running even when it left its process group (setsid), and nothing
 * else. Repeats while it finds some (a process forking as it dies), up to `passes` times; zombies are
 * skipped (they run nothing). Returns how many it signalled. Linux /proc; elsewhere nothing is found.
 */
export async function killProcessesOfGroup(gid: number, passes = 50): Promise<number> {
  let signalled = 0;
  for (let pass = 0; pass < passes; pass++) {
    const pids = await processesOfGroup(gid);
    if (pids.length === 0) return signalled;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        signalled += 1;
      } catch {
        // gone already
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return signalled;
}

async function processesOfGroup(gid: number): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(join('/proc', entry, 'status'), 'utf8').catch(() => '');
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    const gids = /^Gid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/).map(Number) ?? [];
    if (state !== 'Z' && gids.includes(gid)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Takes a tree back from the build user, top-down: each folder becomes root's and loses its write bits for
 * others before its entries are read, so from then on nothing the build left running can add, remove,
 * rename or swap an entry (a folder for a symlink) under prodguard's walk. Files stay as they are: a process
 * may still hold one open for writing, which is why the artifact is a copy (copyBuiltTree), never this tree.
 */
export async function reclaimTree(dir: string): Promise<void> {
  await lchown(dir, 0, 0);
  await chmod(dir, 0o700);
  await reclaimEntries(dir);
}

async function reclaimEntries(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    await lchown(path, 0, 0);
    await chmod(path, 0o755);
    await reclaimEntries(path);
  }
}

/**
 * Copies a reclaimed tree into a new one of prodguard's (fresh inodes: a descriptor the build kept open
 * writes into the old file, never into the artifact): folders 0755, files readable by all with their
 * executable bit, symlinks as they are, set-id bits, FIFOs, sockets and devices dropped. A file the build
 * user does not own can only be a hard link to someone else's file: refused, never copied into the release.
 */
export async function copyBuiltTree(from: string, to: string, buildUid: number): Promise<void> {
  await mirrorTree(from, to, async (source, target) => {
    const stat = await lstat(source);
    if (stat.uid !== buildUid) {
      throw platformError(
        'PRODGUARD_PLATFORM_BUILD_FOREIGN_FILE',
        `The build left ${basename(source)} (at ${source}), a file of uid ${stat.uid}, not of the build's user (uid ${buildUid}): a hard link to a file outside the build.`,
        {
          hint: 'A build may only create its own files: copy the file instead of linking it (app.build), then deploy again.',
          details: { path: source, uid: stat.uid },
        },
      );
    }
    await copyFile(source, target);
    await chmod(target, (stat.mode & 0o100) !== 0 ? 0o755 : 0o644);
  });
}

/**
 * Makes `to` a tree of the folders and symlinks of `from` (folders 0755), each regular file placed by
 * `placeFile`; anything else (FIFOs, sockets, devices) is left out.
 */
export async function mirrorTree(
  from: string,
  to: string,
  placeFile: (source: string, target: string) => Promise<void>,
): Promise<void> {
  await mkdir(to, { mode: 0o755 });
  await chmod(to, 0o755);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) await mirrorTree(source, target, placeFile);
    else if (entry.isSymbolicLink()) await symlink(await readlink(source), target);
    else if (entry.isFile()) await placeFile(source, target);
  }
}
