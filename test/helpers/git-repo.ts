import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { nodeProcessRunner } from '../../src/kernel/process-runner.js';

export interface TempRepo {
  dir: string;
  git(...args: string[]): Promise<string>;
  write(path: string, content: string): void;
  commitAll(message: string): Promise<string>;
  cleanup(): void;
}

/** A real git repository in a temp folder, on branch main, with one commit. */
export async function createTempRepo(
  files: Record<string, string> = { 'README.md': '# app\n' },
): Promise<TempRepo> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'prodguard-repo-')));
  const env = {
    ...process.env,
    GIT_AUTHOR_DATE: '2026-01-05T10:00:00Z',
    GIT_COMMITTER_DATE: '2026-01-05T10:00:00Z',
  };
  const git = async (...args: string[]) => {
    const result = await nodeProcessRunner.run('git', args, { cwd: dir, env });
    if (result.failed) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout.trim();
  };
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.email', 'dev@example.com');
  await git('config', 'user.name', 'Dev');
  await git('config', 'commit.gpgsign', 'false');
  for (const [path, content] of Object.entries(files)) write(path, content);
  await git('add', '-A');
  await git('commit', '-q', '-m', 'initial');
  return {
    dir,
    git,
    write,
    commitAll: async (message: string) => {
      await git('add', '-A');
      await git('commit', '-q', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
