import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../kernel/clock.js';
import { type ProcessRunner, tailLines } from '../../kernel/process-runner.js';
import { platformError } from './platform-errors.js';
import { computeTreeDigest } from './tree-digest.js';

export const RELEASE_METADATA_FILE = '.prodguard-release.json';
export const BUILD_LOG_FILE = '.prodguard-build.log';

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
}

export interface BuiltRelease {
  commit: string;
  digest: string;
  /** `<stateDir>/artifacts/<sha>`: where revisions of this release run. */
  dir: string;
  buildLog?: string;
  builtAt: string;
  /** True when an earlier build was reused. */
  cached: boolean;
}

interface ReleaseMetadata {
  commit: string;
  digest: string;
  builtAt: string;
  buildCommand?: string;
}

/**
 * A release is a commit: `git archive` it into `<artifacts>/<sha>/`, run the build command there once,
 * and digest the tree. Later calls for the same commit reuse the build (the digest is read back).
 *
 * @example const { digest, dir } = await buildRelease({ commit: 'HEAD', repoDir, artifactsDir, processes, clock });
 */
export async function buildRelease(options: BuildReleaseOptions): Promise<BuiltRelease> {
  const resolved = await options.processes.run(
    'git',
    ['rev-parse', '--verify', `${options.commit}^{commit}`],
    {
      cwd: options.repoDir,
      timeoutMs: 30_000,
    },
  );
  if (resolved.failed) {
    throw platformError(
      'PRODGUARD_PLATFORM_COMMIT_UNKNOWN',
      `"${options.commit}" is not a commit of ${options.repoDir}.`,
      { kind: 'usage', hint: 'Pass a sha, tag or branch that `git rev-parse` knows (fetch it first).' },
    );
  }
  const commit = resolved.stdout.trim();
  const dir = join(options.artifactsDir, commit);
  const cached = await readMetadata(dir);
  if (cached) return describe(dir, cached, true);

  await mkdir(options.artifactsDir, { recursive: true });
  const staging = `${dir}.tmp-${process.pid}-${options.clock.nowMs()}`;
  const tarball = `${staging}.tar`;
  try {
    await mkdir(staging, { recursive: true });
    const archive = await options.processes.run(
      'git',
      ['archive', '--format=tar', `--output=${tarball}`, commit],
      { cwd: options.repoDir, timeoutMs: 120_000 },
    );
    if (archive.failed) throw buildFailed(commit, 'git archive', archive.stderr);
    const extract = await options.processes.run('tar', ['-xf', tarball, '-C', staging], {
      cwd: options.artifactsDir,
      timeoutMs: 120_000,
    });
    if (extract.failed) throw buildFailed(commit, 'tar -x', extract.stderr);
    if (options.buildCommand) {
      const log = join(staging, BUILD_LOG_FILE);
      const build = await options.processes.runShell(options.buildCommand, {
        cwd: staging,
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
    const metadata: ReleaseMetadata = {
      commit,
      digest: await computeTreeDigest(staging),
      builtAt: options.clock.now().toISOString(),
      ...(options.buildCommand ? { buildCommand: options.buildCommand } : {}),
    };
    await writeFile(join(staging, RELEASE_METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
    try {
      await rename(staging, dir);
    } catch (error) {
      // Another build of the same commit won the race: use its result.
      const winner = await readMetadata(dir);
      if (winner) return describe(dir, winner, true);
      throw error;
    }
    return describe(dir, metadata, false);
  } finally {
    await rm(tarball, { force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

function describe(dir: string, metadata: ReleaseMetadata, cached: boolean): BuiltRelease {
  const log = join(dir, BUILD_LOG_FILE);
  return {
    commit: metadata.commit,
    digest: metadata.digest,
    dir,
    builtAt: metadata.builtAt,
    cached,
    ...(existsSync(log) ? { buildLog: log } : {}),
  };
}

async function readMetadata(dir: string): Promise<ReleaseMetadata | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, RELEASE_METADATA_FILE), 'utf8')) as ReleaseMetadata;
    return typeof parsed.digest === 'string' && typeof parsed.commit === 'string' ? parsed : undefined;
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
