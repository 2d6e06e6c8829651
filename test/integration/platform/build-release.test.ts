import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/kernel/clock.js';
import { nodeProcessRunner } from '../../../src/kernel/process-runner.js';
import { buildRelease, computeTreeDigest } from '../../../src/platform/index.js';
import { createTempRepo, type TempRepo } from '../../helpers/git-repo.js';

describe('buildRelease', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  const build = (r: TempRepo, commit: string, buildCommand?: string, artifacts = 'artifacts') =>
    buildRelease({
      commit,
      repoDir: r.dir,
      artifactsDir: join(r.dir, '.prodguard', artifacts),
      ...(buildCommand ? { buildCommand } : {}),
      processes: nodeProcessRunner,
      clock: systemClock,
    });

  it('archives the commit (not the working tree), builds once, and caches by commit', async () => {
    repo = await createTempRepo({ 'app.js': 'console.log(1)\n', '.gitignore': '.prodguard/\n' });
    repo.write('app.js', 'uncommitted change\n');
    const first = await build(
      repo,
      'HEAD',
      'echo run >> ../build-count && mkdir -p node_modules/x && echo $RANDOM > node_modules/x/i.js && echo out > dist.txt',
    );
    expect(first.cached).toBe(false);
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readFileSync(join(first.dir, 'app.js'), 'utf8')).toBe('console.log(1)\n');
    expect(readFileSync(join(first.dir, 'dist.txt'), 'utf8')).toBe('out\n');
    expect(existsSync(first.buildLog!)).toBe(true);
    const again = await build(repo, first.commit, 'false');
    expect(again).toMatchObject({ cached: true, digest: first.digest, dir: first.dir });
    expect(readFileSync(join(repo.dir, '.prodguard/artifacts/build-count'), 'utf8')).toBe('run\n');
    expect(again.excluded).toEqual([]);
    // prodguard's own files about the release live beside the artifact, not in it.
    expect(existsSync(join(repo.dir, '.prodguard/artifacts', `${first.commit}.release.json`))).toBe(true);
    expect(first.buildLog).toBe(join(repo.dir, '.prodguard/artifacts', `${first.commit}.build.log`));
    expect(readdirSync(first.dir).filter((n) => n.startsWith('.prodguard'))).toEqual([]);
    // Built elsewhere with other installed dependencies: other bytes, so another digest.
    const elsewhere = await build(
      repo,
      'HEAD',
      'mkdir -p node_modules/x && echo other > node_modules/x/i.js && echo out > dist.txt',
      'other',
    );
    expect(elsewhere.digest).not.toBe(first.digest);
  });

  it('a cached artifact something wrote into since its build is not reused: the commit is built afresh', async () => {
    repo = await createTempRepo({ 'app.js': 'a\n', '.gitignore': '.prodguard/\n' });
    const first = await build(repo, 'HEAD');
    writeFileSync(join(first.dir, 'written-at-runtime.txt'), 'state\n');
    const again = await build(repo, first.commit);
    expect(again).toMatchObject({ cached: false, digest: first.digest, dir: first.dir });
    expect(existsSync(join(again.dir, 'written-at-runtime.txt'))).toBe(false);
    // The changed tree is kept aside (a revision may still run in it), never reused.
    const aside = readdirSync(join(repo.dir, '.prodguard/artifacts')).filter((n) =>
      n.startsWith(`${first.commit}.changed-`),
    );
    expect(aside).toHaveLength(1);
    expect((await build(repo, first.commit)).cached).toBe(true);
  });

  it('a commit that changes only a vendored dependency or a root .prodguard-* file gets a new digest', async () => {
    repo = await createTempRepo({
      'app.js': 'require("dep")\n',
      'node_modules/dep/index.js': 'module.exports = 1\n',
      'lib/node_modules/inner/index.js': 'a\n',
      '.prodguard-notes': 'a\n',
      '.gitignore': '.prodguard/\n',
    });
    const a = await build(repo, 'HEAD');
    repo.write('node_modules/dep/index.js', 'process.exit(1)\n');
    const b = await build(repo, await repo.commitAll('vendored change'));
    expect(b.digest).not.toBe(a.digest);
    repo.write('lib/node_modules/inner/index.js', 'b\n');
    const c = await build(repo, await repo.commitAll('nested vendored change'));
    expect(c.digest).not.toBe(b.digest);
    repo.write('.prodguard-notes', 'b\n');
    const d = await build(repo, await repo.commitAll('dot file'));
    expect(d.digest).not.toBe(c.digest);
  });

  it('a committed symlink named like prodguard metadata cannot make the build write outside the artifact', async () => {
    repo = await createTempRepo({ 'app.js': 'a\n', '.gitignore': '.prodguard/\n' });
    const outside = mkdtempSync(join(tmpdir(), 'prodguard-outside-'));
    try {
      writeFileSync(join(outside, 'victim'), 'untouched\n');
      writeFileSync(join(outside, 'victim-log'), 'untouched\n');
      symlinkSync(join(outside, 'victim'), join(repo.dir, '.prodguard-release.json'));
      symlinkSync(join(outside, 'victim-log'), join(repo.dir, '.prodguard-build.log'));
      const sha = await repo.commitAll('symlinks');
      const built = await build(repo, sha, 'echo built');
      const again = await build(repo, sha, 'echo built');
      expect(again).toMatchObject({ cached: true, digest: built.digest });
      expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('untouched\n');
      expect(readFileSync(join(outside, 'victim-log'), 'utf8')).toBe('untouched\n');
      expect(readlinkSync(join(built.dir, '.prodguard-release.json'))).toBe(join(outside, 'victim'));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a planted symlink at the record path is replaced, not written through', async () => {
    repo = await createTempRepo({ 'app.js': 'a\n', '.gitignore': '.prodguard/\n' });
    const outside = mkdtempSync(join(tmpdir(), 'prodguard-outside-'));
    try {
      writeFileSync(join(outside, 'victim'), 'untouched\n');
      const sha = await repo.git('rev-parse', 'HEAD');
      const artifacts = join(repo.dir, '.prodguard', 'artifacts');
      mkdirSync(artifacts, { recursive: true });
      symlinkSync(join(outside, 'victim'), join(artifacts, `${sha}.release.json`));
      const built = await build(repo, sha);
      expect(built.cached).toBe(false);
      expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('untouched\n');
      expect(lstatSync(join(artifacts, `${sha}.release.json`)).isFile()).toBe(true);
      expect(lstatSync(join(artifacts, `${sha}.release.json`)).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('gives another commit another digest, and the digest covers build output and modes', async () => {
    repo = await createTempRepo({ 'app.js': 'a\n' });
    const a = await build(repo, 'HEAD');
    repo.write('app.js', 'b\n');
    const b = await build(repo, await repo.commitAll('b'));
    expect(b.digest).not.toBe(a.digest);
    const dir = join(repo.dir, 'tree');
    mkdirSync(dir);
    writeFileSync(join(dir, 'f'), 'x');
    const plain = await computeTreeDigest(dir);
    writeFileSync(join(dir, 'f'), 'x', { mode: 0o755 });
    const { chmodSync } = await import('node:fs');
    chmodSync(join(dir, 'f'), 0o755);
    const executable = await computeTreeDigest(dir);
    expect(executable).not.toBe(plain);
    // A FIFO a build leaves behind has no content, but it is part of the tree: it counts.
    const fifo = await nodeProcessRunner.run('mkfifo', [join(dir, 'pipe')], { cwd: dir });
    expect(fifo.exitCode, fifo.stderr).toBe(0);
    expect(await computeTreeDigest(dir)).not.toBe(executable);
  });

  it('a failing build names the step, keeps the log and leaves no artifact', async () => {
    repo = await createTempRepo({ 'app.js': 'a\n' });
    const error = await build(repo, 'HEAD', 'echo compiling; echo "missing module" >&2; exit 7').catch(
      (e) => e,
    );
    expect(error.code).toBe('PRODGUARD_PLATFORM_BUILD_FAILED');
    expect(error.message).toMatch(/failed at build command `.*` \(exit 7\)/);
    expect(error.hint).toContain('missing module');
    const sha = await repo.git('rev-parse', 'HEAD');
    expect(existsSync(join(repo.dir, '.prodguard/artifacts', sha))).toBe(false);
    expect(readFileSync(join(repo.dir, '.prodguard/artifacts', `${sha}.failed-build.log`), 'utf8')).toContain(
      'compiling',
    );
    await expect(build(repo, 'no-such-ref')).rejects.toMatchObject({
      code: 'PRODGUARD_PLATFORM_COMMIT_UNKNOWN',
    });
  });
});
