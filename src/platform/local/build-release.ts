import { constants, existsSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Clock } from '../../kernel/clock.js';
import { makeOwnerOnlyDir } from '../../kernel/private-dir.js';
import { type ProcessRunner, tailLines } from '../../kernel/process-runner.js';
import { copyBuiltTree, giveTreeTo, killProcessesOfGroup, reclaimTree } from './build-tree.js';
import { platformError } from './platform-errors.js';
import type { BuildPlacement, RevisionSandbox } from './revision-sandbox.js';
import { computeTreeDigest } from './tree-digest.js';

/**
 * prodguard's own files about a release sit beside the artifact, never in it: `<artifacts>/<sha>.release.json`
 * and `<artifacts>/<sha>.build.log`. A committed file or symlink of any name inside the tree cannot redirect them.
 */
export const releaseMetadataPath = (artifactsDir: string, commit: string) =>
  join(artifactsDir, `${commit}.release.json`);
export const buildLogPath = (artifactsDir: string, commit: string) =>
  join(artifactsDir, `${commit}.build.log`);

export interface BuildReleaseOptions {
  /** Any commit-ish (sha, tag, branch); resolved to the full sha. */
  commit: string;
  /** The git repository (config.root). */
  repoDir: string;
  /** `<stateDir>/artifacts`. */
  artifactsDir: string;
  /** app.build; omitted → the tree is the archive as is. */
  buildCommand?: string;
  buildTimeoutMs?: number;
  processes: ProcessRunner;
  clock: Clock;
  signal?: AbortSignal;
  /**
   * Who runs the build command: when its user is switched (prodguard is root), the build runs as app.runAs
   * in a folder of its own (placeBuild), and the artifact is a root-owned copy of what it left. Omitted, or
   * not switched: the build runs as prodguard's user in the staging folder.
   */
  sandbox?: Pick<RevisionSandbox, 'placeBuild'>;
  /** prodguard's environment; a build as another user gets only BUILD_ENV_PASSED of it. Default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What of prodguard's environment a build as app.runAs keeps: never the credentials prodguard runs with. */
export const BUILD_ENV_PASSED = [
  'PATH',
  'LANG',
  'LC_ALL',
  'TZ',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'npm_config_registry',
  'NPM_CONFIG_REGISTRY',
] as const;

export interface BuiltRelease {
  commit: string;
  digest: string;
  /** `<stateDir>/artifacts/<sha>`: where revisions of this release run. */
  dir: string;
  buildLog?: string;
  builtAt: string;
  /** True when an earlier build was reused. */
  cached: boolean;
  /** Paths of the artifact the digest does not cover (none today; listed so `status` can show them). */
  excluded: readonly string[];
}

/** What `<artifacts>/<sha>.release.json` says about a built release: what `prodguard status` shows. */
export interface ReleaseRecord {
  commit: string;
  digest: string;
  builtAt: string;
  buildCommand?: string;
  /** Paths of the artifact the digest does not cover; empty when it covers every file. */
  excluded: readonly string[];
}

interface ReleaseMetadata {
  commit: string;
  digest: string;
  builtAt: string;
  buildCommand?: string;
  excluded?: string[];
}

/**
 * A release is a commit: `git archive` it into `<artifacts>/<sha>/`, run the build command there once,
 * and digest the whole tree, installed dependencies included. Later calls for the same commit reuse that
 * artifact (build once, promote the same bytes) while its tree still has the digest of `<sha>.release.json`;
 * a tree something wrote into since is moved aside to `<sha>.changed-<ms>` and the commit built afresh.
 *
 * @example const { digest, dir } = await buildRelease({ commit: 'HEAD', repoDir, artifactsDir, processes, clock });
 */
export async function buildRelease(options: BuildReleaseOptions): Promise<BuiltRelease> {
  const commit = await resolveCommit(options.processes, options.repoDir, options.commit);
  // Root-only: revisions that run as another user get their release through their environment's folder.
  makeOwnerOnlyDir(options.artifactsDir);
  const dir = join(options.artifactsDir, commit);
  const cached = await readMetadata(options.artifactsDir, commit);
  if (cached && existsSync(dir)) {
    // Every revision of the release runs in this folder: one that wrote into it (a cache, a state file)
    // changed the bytes the next revision would start from. Reuse it only while it still has its digest.
    if ((await computeTreeDigest(dir)) === cached.digest) return describe(options.artifactsDir, cached, true);
    await rename(dir, `${dir}.changed-${options.clock.nowMs()}`);
  }
  // A directory without its record (an older layout, or a build cut short): keep it aside, build afresh.
  if (existsSync(dir)) await rename(dir, `${dir}.unrecorded-${options.clock.nowMs()}`);

  const staging = `${dir}.tmp-${process.pid}-${options.clock.nowMs()}`;
  const tarball = `${staging}.tar`;
  // As root the build runs as app.runAs in a folder of its own, never in the root-only artifact store.
  const placement = options.buildCommand ? await options.sandbox?.placeBuild(basename(staging)) : undefined;
  const tree = placement?.dir ?? staging;
  try {
    if (!placement) await mkdir(staging, { recursive: true });
    const archive = await options.processes.run(
      'git',
      ['archive', '--format=tar', `--output=${tarball}`, commit],
      { cwd: options.repoDir, timeoutMs: 120_000 },
    );
    if (archive.failed) throw buildFailed(commit, 'git archive', archive.stderr);
    const extract = await options.processes.run('tar', ['-xf', tarball, '-C', tree], {
      cwd: options.artifactsDir,
      timeoutMs: 120_000,
    });
    if (extract.failed) throw buildFailed(commit, 'tar -x', extract.stderr);
    if (placement) await giveTreeTo(tree, placement.uid, placement.gid);
    if (options.buildCommand) {
      const log = `${staging}.build.log`;
      const build = await options.processes.runShell(options.buildCommand, {
        cwd: tree,
        ...(placement ? { env: buildEnv(options.env ?? process.env, placement.env) } : {}),
        ...(placement ? { uid: placement.uid, gid: placement.gid } : {}),
        // A daemon the build started must not keep writing once the digest is taken.
        killGroupOnExit: true,
        logFile: log,
        timeoutMs: options.buildTimeoutMs ?? 15 * 60_000,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (build.failed) {
        // The staging folder goes away: keep the log beside the artifacts, or say why it could not be kept.
        const keptPath = join(options.artifactsDir, `${commit}.failed-build.log`);
        const kept = await rename(log, keptPath).then(
          () => keptPath,
          (error: Error) => `not kept (${error.message})`,
        );
        throw buildFailed(
          commit,
          `build command \`${options.buildCommand}\`${build.timedOut ? ' (timed out)' : ` (exit ${build.exitCode})`}`,
          `${tailLines(`${build.stdout}\n${build.stderr}`, 15)}\nFull log: ${kept}`,
        );
      }
    }
    if (placement) {
      // What the build left running, in its process group or not, has the build's own group: killed.
      await killProcessesOfGroup(placement.gid);
      // Back to root before the digest: the build user can no longer change the folders, and the artifact is
      // a copy in fresh files, so a descriptor something of the build kept open cannot change it either.
      await reclaimTree(placement.work);
      await copyBuiltTree(placement.dir, staging, placement.uid);
    }
    const metadata: ReleaseMetadata = {
      commit,
      digest: await computeTreeDigest(staging),
      builtAt: options.clock.now().toISOString(),
      ...(options.buildCommand ? { buildCommand: options.buildCommand } : {}),
      excluded: [],
    };
    try {
      await rename(staging, dir);
    } catch (error) {
      // Another build of the same commit won the race: use its result.
      const winner = await readMetadata(options.artifactsDir, commit);
      if (winner) return describe(options.artifactsDir, winner, true);
      throw error;
    }
    if (options.buildCommand)
      await rename(`${staging}.build.log`, buildLogPath(options.artifactsDir, commit));
    await writeOwnFile(
      releaseMetadataPath(options.artifactsDir, commit),
      `${JSON.stringify(metadata, null, 2)}\n`,
    );
    return describe(options.artifactsDir, metadata, false);
  } finally {
    await rm(tarball, { force: true });
    await rm(`${staging}.build.log`, { force: true });
    await rm(staging, { recursive: true, force: true });
    if (placement) await removeBuildFolder(placement);
  }
}

/** The build's folder goes once root owns every folder of it again (so nothing can swap one under rm). */
async function removeBuildFolder(placement: BuildPlacement): Promise<void> {
  await killProcessesOfGroup(placement.gid);
  const work = placement.work;
  if (!existsSync(work)) return;
  await reclaimTree(work);
  await rm(work, { recursive: true, force: true });
}

function buildEnv(
  own: Readonly<Record<string, string | undefined>>,
  placed: Record<string, string>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of BUILD_ENV_PASSED) if (own[name] !== undefined) env[name] = own[name];
  return { ...env, ...placed };
}

/** Writes a file prodguard owns, refusing to follow a symlink planted at its path (O_NOFOLLOW), mode 0600. */
async function writeOwnFile(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await rm(tmp, { force: true });
  const handle = await open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  // rename replaces a symlink at `path` itself; it never writes through it.
  await rename(tmp, path);
}

/**
 * The release record of a commit built before (full sha), or undefined when there is none (never built on
 * this machine, or its artifact was removed). Reads only; never builds.
 *
 * @example const record = await readReleaseRecord(ws.paths.artifacts, revision.release.commit);
 */
export async function readReleaseRecord(
  artifactsDir: string,
  commit: string,
): Promise<ReleaseRecord | undefined> {
  if (!/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const metadata = await readMetadata(artifactsDir, commit);
  if (!metadata || !existsSync(join(artifactsDir, commit))) return undefined;
  return {
    commit: metadata.commit,
    digest: metadata.digest,
    builtAt: metadata.builtAt,
    ...(metadata.buildCommand ? { buildCommand: metadata.buildCommand } : {}),
    excluded: metadata.excluded ?? [],
  };
}

export interface PeekReleaseOptions {
  commit: string;
  repoDir: string;
  artifactsDir: string;
  processes: ProcessRunner;
}

/**
 * Resolves a commit-ish and reads its release record when the commit was built before, without building:
 * what a deploy needs to decide its cheap rules (staging-first, freeze, incident, lock) first.
 */
export async function peekRelease(options: PeekReleaseOptions): Promise<{ commit: string; digest?: string }> {
  const commit = await resolveCommit(options.processes, options.repoDir, options.commit);
  const metadata = await readMetadata(options.artifactsDir, commit);
  return metadata && existsSync(join(options.artifactsDir, commit))
    ? { commit, digest: metadata.digest }
    : { commit };
}

async function resolveCommit(processes: ProcessRunner, repoDir: string, commitish: string): Promise<string> {
  const resolved = await processes.run('git', ['rev-parse', '--verify', `${commitish}^{commit}`], {
    cwd: repoDir,
    timeoutMs: 30_000,
  });
  if (resolved.failed) {
    throw platformError(
      'PRODGUARD_PLATFORM_COMMIT_UNKNOWN',
      `"${commitish}" is not a commit of ${repoDir}.`,
      {
        kind: 'usage',
        hint: 'Pass a sha, tag or branch that `git rev-parse` knows (fetch it first).',
      },
    );
  }
  return resolved.stdout.trim();
}

function describe(artifactsDir: string, metadata: ReleaseMetadata, cached: boolean): BuiltRelease {
  const log = buildLogPath(artifactsDir, metadata.commit);
  return {
    commit: metadata.commit,
    digest: metadata.digest,
    dir: join(artifactsDir, metadata.commit),
    builtAt: metadata.builtAt,
    cached,
    excluded: metadata.excluded ?? [],
    ...(existsSync(log) ? { buildLog: log } : {}),
  };
}

async function readMetadata(artifactsDir: string, commit: string): Promise<ReleaseMetadata | undefined> {
  try {
    const handle = await open(
      releaseMetadataPath(artifactsDir, commit),
      constants.O_RDONLY | constants.O_NOFOLLOW,
    );
    const text = await handle.readFile('utf8').finally(() => handle.close());
    const parsed = JSON.parse(text) as ReleaseMetadata;
    return typeof parsed.digest === 'string' && parsed.commit === commit ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function buildFailed(commit: string, step: string, output: string) {
  return platformError(
    'PRODGUARD_PLATFORM_BUILD_FAILED',
    `Building ${commit.slice(0, 12)} failed at ${step}.`,
    {
      hint: `${output.trim()}\nFix the build (app.build in prodguard.yaml) and deploy again.`,
    },
  );
}
