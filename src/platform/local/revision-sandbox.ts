import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { chmod, copyFile, link, lstat, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { firstClosedAncestor } from '../../kernel/load-embedded-postgres.js';
import { killProcessesOfGroup, mirrorTree, reclaimTree } from './build-tree.js';
import { platformError } from './platform-errors.js';
import { buildGid, environmentGid, type RevisionUser, resolveRevisionUser } from './revision-user.js';

/** Where and as whom one revision's process runs. */
export interface RevisionPlacement {
  /** The revision's working directory: its release's files. */
  readonly dir: string;
  /** Variables that replace the agent's own (HOME, TMPDIR, USER, LOGNAME) when the user is switched. */
  readonly env: Record<string, string>;
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Keeps revisions out of prodguard's world. As root, a revision runs as app.runAs with its environment's
 * group as its only group, from `<revisionsDir>/<environment>/releases/<sha>/`: a tree of hard links to the
 * built artifact (same bytes, no copy) that only that group may enter. The state folder (vault key, state
 * database, agent token, logs, backups) and the artifact store stay root-only (0700), so the revision gets
 * EACCES on them, and on every other environment's folder. Not root: revisions run as prodguard's user,
 * straight from the artifact store.
 */
export interface RevisionSandbox {
  readonly user: RevisionUser;
  place(environment: string, artifactDir: string): Promise<RevisionPlacement>;
  /**
   * Where a build command (app.build) runs, as a uid and group of its own, whatever app.runAs says (a
   * build of an unverified commit never shares a uid with a running revision): a folder
   * `<revisionsDir>/.builds/<name>/` (root's, entered only by that group) holding `src/` (the tree to build,
   * the user's) and `home/` (HOME and TMPDIR). Undefined when the user is not switched: the build then runs
   * as prodguard's user in its staging folder.
   */
  placeBuild(name: string): Promise<BuildPlacement | undefined>;
}

/** A build's own folder; see RevisionSandbox.placeBuild. */
export interface BuildPlacement {
  /** `<revisionsDir>/.builds/<name>`: removed (after reclaimTree) when the build ends. */
  readonly work: string;
  /** `<work>/src`: the tree to extract and build, root's (0700) until giveTreeTo hands it to the build user. */
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly uid: number;
  /** This build's own group: every process the build started, and only those, has it. */
  readonly gid: number;
}

export interface CreateRevisionSandboxOptions {
  /** app.runAs. */
  runAs: string | undefined;
  /** config.root: with the environment's name, it picks the environment's group. */
  projectRoot: string;
  /** config.revisionsDirPath. */
  revisionsDir: string;
  /**
   * Folders prodguard made on the way to revisionsDir that it may open for traversal (0711), e.g. the
   * per-project folder it shares with the artifact store; never a folder of the user's.
   */
  ownFolders?: readonly string[];
  /** prodguard's uid; default process.getuid(). */
  uid?: number;
  /**
   * app.start and the PATH revisions get: the program it names must be reachable by the revisions' user
   * (node under /root/.nvm is not), checked up front instead of a revision dying with "Permission denied".
   */
  start?: { command: string; path: string | undefined };
  /** /etc/passwd and /etc/group. */
  readSystemFile?: (path: '/etc/passwd' | '/etc/group') => string;
}

const readEtc = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/**
 * The sandbox options of a project's config: the agent (revisions, rebuilds) and a deploy (build, smoke,
 * E2E) place their processes the same way.
 */
export function revisionSandboxOptions(config: {
  readonly app: { readonly runAs?: string | undefined };
  readonly root: string;
  readonly revisionsDirPath: string;
  readonly artifactsDirPath: string;
}): CreateRevisionSandboxOptions {
  return {
    runAs: config.app.runAs,
    projectRoot: config.root,
    revisionsDir: config.revisionsDirPath,
    // `<home>/prodguard/<project>/{artifacts,revisions}`: the project folder and `prodguard` are prodguard's.
    ownFolders:
      dirname(config.revisionsDirPath) === dirname(config.artifactsDirPath)
        ? [dirname(config.revisionsDirPath), dirname(dirname(config.revisionsDirPath))]
        : [],
  };
}

/** Resolves the revisions' user up front, so `prodguard up` refuses a bad app.runAs before starting anything. */
export function createRevisionSandbox(options: CreateRevisionSandboxOptions): RevisionSandbox {
  const read = options.readSystemFile ?? readEtc;
  const user = resolveRevisionUser({
    runAs: options.runAs,
    uid: options.uid ?? process.getuid?.() ?? 0,
    passwd: read('/etc/passwd'),
  });
  if (!user.switched) {
    return {
      user,
      place: async (_environment, artifactDir) => ({ dir: artifactDir, env: {} }),
      placeBuild: async () => undefined,
    };
  }
  // A uid of its own per environment and per build (the number of its group), or app.runAs for all.
  const uidOf = (gid: number) => user.uid ?? gid;
  const loginOf = (own: string) =>
    user.uid === undefined ? own : user.name.startsWith('uid ') ? String(user.uid) : user.name;
  const ids = (label: string) =>
    environmentGid(options.projectRoot, label, read('/etc/group'), read('/etc/passwd'));
  const buildIds = (name: string) =>
    buildGid(options.projectRoot, name, read('/etc/group'), read('/etc/passwd'));
  if (options.start) assertProgramReachable(options.start.command, options.start.path, user);
  return {
    user,
    async place(environment, artifactDir) {
      const gid = ids(environment);
      const uid = uidOf(gid);
      openTheWayTo(options.revisionsDir, options.ownFolders ?? []);
      const envDir = join(options.revisionsDir, environment);
      const releases = join(envDir, 'releases');
      giveTo(envDir, 0, gid, 0o750);
      const env = ownHome(envDir, uid, gid, loginOf(`prodguard-${environment}`));
      giveTo(releases, 0, 0, 0o755);
      const dir = join(releases, basename(artifactDir));
      if (!existsSync(dir)) await linkRelease(artifactDir, dir);
      return { dir, env, uid, gid };
    },
    async placeBuild(name) {
      const gid = buildIds(name);
      const uid = gid;
      openTheWayTo(options.revisionsDir, options.ownFolders ?? []);
      const builds = join(options.revisionsDir, '.builds');
      giveTo(builds, 0, 0, 0o711);
      await sweepBuilds(builds, buildIds);
      const work = join(builds, name);
      const dir = join(work, 'src');
      giveTo(work, 0, gid, 0o750);
      const env = ownHome(work, uid, gid, 'prodguard-build');
      // root's until the commit is extracted into it and handed over (giveTreeTo): nothing can plant a
      // symlink there for root's extraction and chown to follow.
      giveTo(dir, 0, 0, 0o700);
      return { work, dir, env, uid, gid };
    },
  };
}

/**
 * Removes the folders of builds whose prodguard process is gone (killed mid-build): first what still runs
 * with their group, then the folder, taken back top-down. A folder is named `<sha>.tmp-<pid>-<ms>`.
 */
async function sweepBuilds(builds: string, gidOf: (folder: string) => number): Promise<void> {
  for (const folder of await readdir(builds)) {
    const pid = Number(/\.tmp-(\d+)-\d+$/.exec(folder)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isRunning(pid)) continue;
    await killProcessesOfGroup(gidOf(folder));
    await reclaimTree(join(builds, folder));
    await rm(join(builds, folder), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes the folders prodguard owns on the way to revisionsDir enterable (0711: no listing), then refuses,
 * naming the folder and the ways out, when a parent it does not own is closed (e.g. /root, 0700).
 */
function openTheWayTo(revisionsDir: string, ownFolders: readonly string[]): void {
  mkdirSync(revisionsDir, { recursive: true, mode: 0o711 });
  for (const dir of [revisionsDir, ...ownFolders]) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o111);
  }
  const closed = firstClosedAncestor(join(revisionsDir, 'x'));
  if (!closed) return;
  throw platformError(
    'PRODGUARD_PLATFORM_RUN_DIR_UNREACHABLE',
    `Revisions run as another user, which cannot enter ${closed.dir} (mode ${closed.mode.toString(8)}) on the way to their folder ${revisionsDir}.`,
    {
      kind: 'usage',
      hint: `Do one of: set PRODGUARD_STATE_HOME to a folder outside ${closed.dir} (e.g. /var/lib); allow traversal only with \`chmod o+x ${closed.dir}\` (no listing, no reading); or run prodguard as a regular user.`,
      details: { dir: closed.dir, mode: closed.mode.toString(8), path: revisionsDir },
    },
  );
}

/** The program app.start runs, found on PATH as the shell would, must not sit behind a folder others cannot enter. */
function assertProgramReachable(command: string, path: string | undefined, user: RevisionUser): void {
  const program = command
    .trim()
    .split(/\s+/)
    .find((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
  if (!program || program.includes('/') || !path) return;
  const found = path
    .split(':')
    .filter((dir) => dir.startsWith('/'))
    .map((dir) => join(dir, program))
    .find((file) => existsSync(file));
  if (!found) return;
  const closed = firstClosedAncestor(found);
  if (!closed) return;
  throw platformError(
    'PRODGUARD_PLATFORM_RUN_DIR_UNREACHABLE',
    `Revisions run as ${user.uid === undefined ? 'users of their own' : user.name}, which cannot enter ${closed.dir} (mode ${closed.mode.toString(8)}) on the way to \`${program}\` (${found}), the program app.start runs.`,
    {
      kind: 'usage',
      hint: `Do one of: install ${program} outside ${closed.dir} (e.g. under /usr/local); allow traversal only with \`chmod o+x ${closed.dir}\`; or run prodguard as a regular user.`,
      details: { dir: closed.dir, mode: closed.mode.toString(8), path: found },
    },
  );
}

/** `<parent>/home` with its `tmp`, the revision user's own: HOME, TMPDIR and the login names to run with. */
function ownHome(parent: string, uid: number, gid: number, login: string): Record<string, string> {
  const home = join(parent, 'home');
  const tmp = join(home, 'tmp');
  // A home another uid left (app.runAs changed, or the one shared user of an older version) is set aside
  // whole, not chowned: root walking a tree its owner can still change could be steered by a symlink.
  const previous = existsSync(home) ? lstatSync(home).uid : uid;
  if (previous !== uid) {
    try {
      renameSync(home, `${home}.previous-uid-${previous}-${Date.now()}`);
    } catch (error) {
      // Another placement (the agent, or a deploy's smoke script) set it aside first.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  giveTo(home, uid, gid, 0o700);
  giveTo(tmp, uid, gid, 0o700);
  return { HOME: home, TMPDIR: tmp, USER: login, LOGNAME: login };
}

/** Creates `dir` when missing and gives it to uid/gid with `mode`, through a descriptor (see openOwnDir). */
function giveTo(dir: string, uid: number, gid: number, mode: number): void {
  const fd = openOwnDir(dir, mode);
  try {
    try {
      fchownSync(fd, uid, gid);
    } catch (error) {
      throw platformError(
        'PRODGUARD_PLATFORM_RUN_DIR_UNREACHABLE',
        `Cannot give ${dir} to uid ${uid} / gid ${gid}: ${(error as Error).message}.`,
        {
          hint: 'In a user namespace that maps few ids (rootless containers), run prodguard as a regular user instead of root.',
          cause: error,
        },
      );
    }
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens the folder `dir` (made when missing) without following a symlink at its last component. `home/tmp`
 * sits in a folder the revision's user owns: a symlink it planted there would otherwise turn root's chown and
 * chmod onto any folder it names (/etc). What is found there instead of a folder is removed, once.
 */
function openOwnDir(dir: string, mode: number): number {
  const flags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(dir, { recursive: true, mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    try {
      return openSync(dir, flags);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ELOOP' && code !== 'ENOTDIR') || attempt > 0) throw error;
      // unlink removes the symlink (or file) itself, never what it points to.
      unlinkSync(dir);
    }
  }
}

/** The release's tree rebuilt as directories of hard links (a copy across filesystems), renamed into place. */
async function linkRelease(artifactDir: string, dir: string): Promise<void> {
  if (!existsSync(artifactDir)) {
    throw platformError('PRODGUARD_PLATFORM_BUILD_FAILED', `The artifact ${artifactDir} is missing.`, {
      hint: 'Deploy the release again: it is rebuilt from its commit.',
    });
  }
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await linkTree(artifactDir, staging);
    await rename(staging, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another start placed the same release first: theirs is the same bytes.
      if (!existsSync(dir)) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function linkTree(from: string, to: string): Promise<void> {
  await mirrorTree(from, to, async (source, target) => {
    // Readable by all (only this environment's group can reach it), executable bits kept, set-id bits
    // dropped: the digest covers content and the executable bit only, so it is unchanged.
    const mode = (await lstat(source)).mode & 0o777;
    const exec = (mode & 0o100) !== 0 ? 0o111 : 0;
    await chmod(source, (mode & 0o755) | 0o644 | exec);
    await link(source, target).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EXDEV') throw error;
      await copyFile(source, target);
      await chmod(target, (mode & 0o755) | 0o644 | exec);
    });
  });
}
