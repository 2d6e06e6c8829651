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

  status(): Promise<GitStatusEntry[]> {
    return this.#once('status', async () => {
      const out = await this.text(['status', '--porcelain=v1', '-z', '--untracked-files=all']);
      const entries: GitStatusEntry[] = [];
      const parts = out.split('\0').filter(Boolean);
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        const code = part.slice(0, 2);
        entries.push({ code, path: part.slice(3) });
        if (code.startsWith('R') || code.startsWith('C')) i++; // rename: next field is the source path
      }
      return entries;
    });
  }

  currentBranch(): Promise<string> {
    return this.#once('branch', () => this.text(['branch', '--show-current']));
  }

  head(): Promise<string> {
    return this.#once('head', () => this.text(['rev-parse', 'HEAD']));
  }

  /** Upstream of the current branch and how far behind/ahead HEAD is, from local refs only. */
  upstream(): Promise<{ name: string; behind: number; ahead: number } | undefined> {
    return this.#once('upstream', async () => {
      const name = await this.raw(['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}']);
      if (name.failed) return undefined;
      const counts = await this.text(['rev-list', '--left-right', '--count', 'HEAD...@{upstream}']);
      const [ahead, behind] = counts.split(/\s+/).map(Number);
      return { name: name.stdout.trim(), behind: behind ?? 0, ahead: ahead ?? 0 };
    });
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

  tagExists(name: string): Promise<boolean> {
    return this.raw(['rev-parse', '-q', '--verify', `refs/tags/${name}`]).then(
      (r) => !r.failed && r.stdout.trim() !== '',
    );
  }

  trackedFiles(): Promise<string[]> {
    return this.#once('ls-files', async () =>
      (await this.text(['ls-files', '-z'])).split('\0').filter(Boolean),
    );
  }

  commitExists(rev: string): Promise<boolean> {
    return this.raw(['cat-file', '-e', `${rev}^{commit}`]).then((r) => !r.failed);
  }
}
