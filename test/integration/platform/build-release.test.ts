import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    // Built elsewhere (another machine): same digest, although node_modules differs.
    const elsewhere = await build(
      repo,
      'HEAD',
      'mkdir -p node_modules/x && echo other > node_modules/x/i.js && echo out > dist.txt',
      'other',
    );
    expect(elsewhere.digest).toBe(first.digest);
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
    expect(await computeTreeDigest(dir)).not.toBe(plain);
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
