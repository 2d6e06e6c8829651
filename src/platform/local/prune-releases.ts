import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface PruneReleasesOptions {
  /** `<stateDir>/artifacts`: built releases `<sha>/` with their records and logs beside them. */
  artifactsDir: string;
  /** config.revisionsDirPath: each environment's `releases/<sha>/` copies (as root); absent or missing → none. */
  revisionsDir?: string;
  /** Commits whose artifacts and copies stay: every revision still running anywhere, and the rollback targets. */
  keep: ReadonlySet<string>;
  /**
   * Anything built, copied or moved aside less than this long ago stays: a deploy on another environment may
   * have just built it and not created its revision yet.
   */
  graceMs: number;
  nowMs: number;
}

export interface PrunedReleases {
  /** Commits whose artifact (or an environment's copy) was removed. */
  commits: string[];
  /** Bytes of the files removed (a hard link counts where it was the last one). */
  bytes: number;
}

const SHA = /^[0-9a-f]{40,64}$/;
/** `<sha>.changed-<ms>` and `<sha>.unrecorded-<ms>`: trees moved aside because something wrote into them. */
const MOVED_ASIDE = /^([0-9a-f]{40,64})\.(?:changed|unrecorded)-(\d+)$/;
/** A tree this function was removing when it was cut short (see remove). */
const BEING_REMOVED = /\.removing-\d+-\d+$/;

/**
 * Removes built releases nothing needs any more, so the artifact store does not grow by a copy of the app
 * (dependencies included) per deploy: artifacts and environment copies of commits outside `keep`, with their
 * records and build logs, and trees moved aside, once older than the grace period. A release removed here is
 * rebuilt from git if it is deployed again (the digest check then says whether the build gave the same bytes).
 *
 * @example await pruneReleases({ artifactsDir, revisionsDir, keep: new Set([sha]), graceMs: 3_600_000, nowMs: Date.now() });
 */
export async function pruneReleases(options: PruneReleasesOptions): Promise<PrunedReleases> {
  const removed = new Set<string>();
  let bytes = 0;
  const old = (ms: number) => options.nowMs - ms >= options.graceMs;
  for (const name of await readdirOrEmpty(options.artifactsDir)) {
    const path = join(options.artifactsDir, name);
    if (BEING_REMOVED.test(name)) {
      bytes += await remove(path);
      continue;
    }
    const aside = MOVED_ASIDE.exec(name);
    if (aside) {
      if (old(Number(aside[2]))) bytes += await remove(path);
      continue;
    }
    if (!SHA.test(name) || options.keep.has(name)) continue;
    if (!old(await builtAtMs(options.artifactsDir, name, path))) continue;
    bytes += await remove(path);
    for (const suffix of ['.release.json', '.build.log', '.failed-build.log'])
      bytes += await remove(`${path}${suffix}`);
    removed.add(name);
  }
  // A failed build leaves only its log: kept for the grace period, to be read.
  for (const name of await readdirOrEmpty(options.artifactsDir)) {
    const sha = /^([0-9a-f]{40,64})\.failed-build\.log$/.exec(name)?.[1];
    if (!sha || options.keep.has(sha) || existsSync(join(options.artifactsDir, sha))) continue;
    const path = join(options.artifactsDir, name);
    if (old((await lstat(path)).mtimeMs)) bytes += await remove(path);
  }
  if (options.revisionsDir) {
    for (const environment of await readdirOrEmpty(options.revisionsDir)) {
      const releases = join(options.revisionsDir, environment, 'releases');
      for (const name of await readdirOrEmpty(releases)) {
        const path = join(releases, name);
        if (BEING_REMOVED.test(name)) {
          bytes += await remove(path);
          continue;
        }
        if (!SHA.test(name) || options.keep.has(name)) continue;
        if (!old((await lstat(path)).mtimeMs)) continue;
        bytes += await remove(path);
        removed.add(name);
      }
    }
  }
  return { commits: [...removed].sort(), bytes };
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** When the release was built, from its record; the folder's own time when it has none. */
async function builtAtMs(artifactsDir: string, sha: string, path: string): Promise<number> {
  try {
    const record = JSON.parse(await readFile(join(artifactsDir, `${sha}.release.json`), 'utf8')) as {
      builtAt?: string;
    };
    const at = Date.parse(record.builtAt ?? '');
    if (Number.isFinite(at)) return at;
  } catch {}
  return (await lstat(path)).mtimeMs;
}

/**
 * Removes a file or tree (never following a symlink out of it) and returns the bytes it freed. A tree is
 * renamed aside first: cut short (SIGKILL), no half-removed release is left under its own name, where a
 * revision would be placed from it; the next prune finishes it.
 */
async function remove(path: string): Promise<number> {
  const bytes = await sizeOf(path);
  let target = path;
  if (!BEING_REMOVED.test(path) && (await isDirectory(path))) {
    target = `${path}.removing-${process.pid}-${Date.now()}`;
    await rename(path, target);
  }
  await rm(target, { recursive: true, force: true });
  return bytes;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function sizeOf(path: string): Promise<number> {
  let stat: Awaited<ReturnType<typeof lstat>>;
  try {
    stat = await lstat(path);
  } catch {
    return 0;
  }
  if (stat.isDirectory()) {
    let total = 0;
    for (const name of await readdirOrEmpty(path)) total += await sizeOf(join(path, name));
    return total;
  }
  // Another link keeps the bytes on disk: only the last one frees them.
  return stat.isFile() && stat.nlink === 1 ? stat.size : 0;
}
