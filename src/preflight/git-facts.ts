import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProdguardError } from '../kernel/errors.js';
import type { ProcessResult, ProcessRunner } from '../kernel/process-runner.js';

export interface GitStatusEntry {
  /** Two-letter porcelain code, e.g. ` M`, `??`. */
  code: string;
  path: string;
}

/**
 * Read-only facts about the repository, each computed once per preflight even when several checks
 * ask for it (checks run in parallel, so the memo holds promises).
 */
export class GitFacts {
  readonly #root: string;
  readonly #processes: ProcessRunner;
  readonly #env: NodeJS.ProcessEnv;
  readonly #memo = new Map<string, Promise<unknown>>();

  constructor(root: string, processes: ProcessRunner, env: NodeJS.ProcessEnv) {
    this.#root = root;
    this.#processes = processes;
    this.#env = env;
  }

  get root(): string {
    return this.#root;
  }

  /** Runs git and returns the raw result (no throw). */
  raw(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<ProcessResult> {
    return this.#processes.run('git', args, {
      cwd: this.#root,
      env: { ...this.#env, ...env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
      timeoutMs: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  }

  /** Runs git and returns trimmed stdout, throwing a clear error on failure. */
  async text(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
    const result = await this.raw(args, env);
    if (result.failed) {
      throw new ProdguardError(
        'PRODGUARD_GIT_FAILED',
        `git ${args.join(' ')} failed in ${this.#root}: ${result.stderr.trim() || result.spawnError || `exit ${result.exitCode}`}`,
        {
          hint: 'Is this a git repository with at least one commit, and is git installed?',
        },
      );
    }
    return result.stdout.replace(/\n$/, '');
  }

  #once<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let value = this.#memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      this.#memo.set(key, value);
    }
    return value;
  }

  /**
   * One `git status --porcelain=v2 --branch` answers four questions: changed files, current branch,
   * its upstream and how far behind/ahead it is (local refs only). One process instead of four.
   */
  #statusV2(): Promise<{
    entries: GitStatusEntry[];
    branch: string;
    upstream?: { name: string; behind: number; ahead: number };
  }> {
    return this.#once('status-v2', async () => {
      const out = await this.text(['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all']);
      const entries: GitStatusEntry[] = [];
      let branch = '';
      let upstreamName: string | undefined;
      let ahead = 0;
      let behind = 0;
      const parts = out.split('\0');
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        if (part.startsWith('# branch.head ')) branch = part.slice(14) === '(detached)' ? '' : part.slice(14);
        else if (part.startsWith('# branch.upstream ')) upstreamName = part.slice(18);
        else if (part.startsWith('# branch.ab ')) {
          const [a, b] = part.slice(12).split(' ');
          ahead = Math.abs(Number(a));
          behind = Math.abs(Number(b));
        } else if (part.startsWith('1 '))
          entries.push({
            code: part.slice(2, 4).replaceAll('.', ' '),
            path: part.split(' ').slice(8).join(' '),
          });
        else if (part.startsWith('2 ')) {
          entries.push({
            code: part.slice(2, 4).replaceAll('.', ' '),
            path: part.split(' ').slice(9).join(' '),
          });
          i++; // the rename's source path follows
        } else if (part.startsWith('u '))
          entries.push({ code: part.slice(2, 4), path: part.split(' ').slice(10).join(' ') });
        else if (part.startsWith('? ')) entries.push({ code: '??', path: part.slice(2) });
      }
      return {
        entries,
        branch,
        ...(upstreamName ? { upstream: { name: upstreamName, behind, ahead } } : {}),
      };
    });
  }

  async status(): Promise<GitStatusEntry[]> {
    return (await this.#statusV2()).entries;
  }

  async currentBranch(): Promise<string> {
    return (await this.#statusV2()).branch;
  }

  head(): Promise<string> {
    return this.#once('head', () => this.text(['rev-parse', 'HEAD']));
  }

  /** Upstream of the current branch and how far behind/ahead HEAD is, from local refs only. */
  async upstream(): Promise<{ name: string; behind: number; ahead: number } | undefined> {
    return (await this.#statusV2()).upstream;
  }

  /**
   * The tree hash of exactly what is on disk (tracked and untracked, not ignored): HEAD's tree when clean,
   * otherwise a tree written through a throw-away index so the real index is untouched.
   */
  treeHash(): Promise<string> {
    return this.#once('tree', async () => {
      const status = await this.status();
      if (status.length === 0) return this.text(['rev-parse', 'HEAD^{tree}']);
      const dir = mkdtempSync(join(tmpdir(), 'prodguard-index-'));
      const index = { GIT_INDEX_FILE: join(dir, 'index') };
      try {
        await this.text(['read-tree', 'HEAD'], index);
        await this.text(['add', '-A'], index);
        return await this.text(['write-tree'], index);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  /** The tree of a commit (`<rev>^{tree}`), asked once per preflight. */
  treeOf(rev: string): Promise<string> {
    return this.#once(`tree-of:${rev}`, () => this.text(['rev-parse', `${rev}^{tree}`]));
  }

  tagExists(name: string): Promise<boolean> {
    return this.raw(['rev-parse', '-q', '--verify', `refs/tags/${name}`]).then(
      (r) => !r.failed && r.stdout.trim() !== '',
    );
  }

  trackedFiles(): Promise<string[]> {
    return this.#once('ls-files', async () => (await this.indexBlobs()).map((b) => b.path));
  }

  /** Tracked files with the blob id the index holds for each (`git ls-files -s`). */
  indexBlobs(): Promise<{ path: string; blob: string }[]> {
    return this.#once('ls-files-s', async () =>
      (await this.text(['ls-files', '-s', '-z']))
        .split('\0')
        .filter(Boolean)
        .map((line) => {
          const tab = line.indexOf('\t');
          return { blob: line.split(' ')[1]!, path: line.slice(tab + 1) };
        }),
    );
  }

  /** Memoizes any other repository fact for the life of this preflight. */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    return this.#once(`memo:${key}`, compute);
  }

  commitExists(rev: string): Promise<boolean> {
    return this.raw(['cat-file', '-e', `${rev}^{commit}`]).then((r) => !r.failed);
  }
}
