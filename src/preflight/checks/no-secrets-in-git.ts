import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';
import type { RuleCheck } from '../../rules/index.js';
import type { StateStore } from '../../store/index.js';
import { findLastRelease } from '../last-release.js';
import type { PreflightContext } from '../preflight-context.js';
import { parseAddedLines, type SecretFinding, scanTextForSecrets } from '../secret-scanner.js';

const MAX_FILE_BYTES = 1024 * 1024;
/** Without a previous release, history is scanned this far back. */
const HISTORY_LIMIT = 200;

/** The whole scan cache in one query (a warm preflight looks up every file). */
function readCache(store: StateStore): Map<string, SecretFinding[]> {
  const rows = store.db
    .prepare<[], { blob: string; findings: string }>('SELECT blob, findings FROM secret_scan_cache')
    .all();
  return new Map(rows.map((r) => [r.blob, JSON.parse(r.findings) as SecretFinding[]]));
}

function remember(
  store: StateStore,
  cache: Map<string, SecretFinding[]>,
  key: string,
  findings: SecretFinding[],
): void {
  cache.set(key, findings);
  store.db
    .prepare('INSERT OR REPLACE INTO secret_scan_cache(blob, findings) VALUES (?, ?)')
    .run(key, JSON.stringify(findings));
}

async function scanTrackedFiles(
  ctx: PreflightContext,
  cache: Map<string, SecretFinding[]>,
  excluded: (path: string) => boolean,
): Promise<{ findings: SecretFinding[]; scanned: number }> {
  const [blobs, status] = await Promise.all([ctx.git.indexBlobs(), ctx.git.status()]);
  const changedOnDisk = new Set(status.map((s) => s.path));
  const findings: SecretFinding[] = [];
  let scanned = 0;
  for (const { path: file, blob } of blobs) {
    if (excluded(file)) continue;
    // An unchanged file is keyed by its git blob id: a warm preflight reads no file at all.
    let key = changedOnDisk.has(file) ? undefined : `blob:${blob}`;
    let found = key ? cache.get(key) : undefined;
    if (!found) {
      const path = join(ctx.config.root, file);
      // Staged, then deleted from disk: nothing to read. Any other error (permissions) is the check's failure.
      const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (!info?.isFile() || info.size > MAX_FILE_BYTES) continue;
      const bytes = await readFile(path);
      if (bytes.includes(0)) continue; // binary
      key ??= `content:${createHash('sha256').update(bytes).digest('hex')}`;
      found = cache.get(key) ?? (await scanTextForSecrets(file, bytes.toString('utf8')));
      remember(ctx.store, cache, key, found);
    }
    scanned++;
    findings.push(...found.map((f) => ({ ...f, file })));
  }
  return { findings, scanned };
}

/**
 * The files of a commit that is not the checkout (deploy --commit X), read from git: each blob is keyed by
 * its id as in scanTrackedFiles, so only blobs no scan has seen are read (one `git cat-file` each).
 */
async function scanCommitFiles(
  ctx: PreflightContext,
  commit: string,
  cache: Map<string, SecretFinding[]>,
  excluded: (path: string) => boolean,
): Promise<{ findings: SecretFinding[]; scanned: number }> {
  const entries = (await ctx.git.text(['ls-tree', '-r', '-l', '-z', '--full-tree', commit]))
    .split('\0')
    .filter(Boolean);
  const findings: SecretFinding[] = [];
  let scanned = 0;
  for (const entry of entries) {
    // `<mode> <type> <object> <size>\t<path>`
    const tab = entry.indexOf('\t');
    const [, type, blob, size] = entry.slice(0, tab).split(/ +/);
    const file = entry.slice(tab + 1);
    if (type !== 'blob' || excluded(file) || Number(size) > MAX_FILE_BYTES) continue;
    const key = `blob:${blob}`;
    let found = cache.get(key);
    if (!found) {
      // Untrimmed: line numbers count from the file's first byte.
      const read = await ctx.git.raw(['cat-file', 'blob', blob!]);
      if (read.failed) throw new Error(`git cat-file blob ${blob} (${file}) failed: ${read.stderr.trim()}`);
      const text = read.stdout;
      if (text.includes('\0')) continue; // binary
      found = await scanTextForSecrets(file, text);
      remember(ctx.store, cache, key, found);
    }
    scanned++;
    findings.push(...found.map((f) => ({ ...f, file })));
  }
  return { findings, scanned };
}

async function scanRecentCommits(
  ctx: PreflightContext,
  cache: Map<string, SecretFinding[]>,
  excluded: (path: string) => boolean,
  tip: string,
): Promise<{ findings: SecretFinding[]; commits: number; since?: string }> {
  const last = await findLastRelease(ctx.store, ctx.git, ctx.environment, ctx.config.releaseTag);
  const range = last ? [`${last.commit}..${tip}`] : ['-n', String(HISTORY_LIMIT), tip];
  const commits = (await ctx.git.text(['rev-list', '--no-merges', ...range])).split('\n').filter(Boolean);
  const findings: SecretFinding[] = [];
  const uncached = commits.filter((sha) => !cache.has(`commit:${sha}`));
  if (uncached.length > 0) {
    const patch = await ctx.git.text([
      'show',
      '--no-color',
      '--unified=0',
      '--format=%x00commit %H',
      '--diff-filter=AMR',
      ...uncached,
    ]);
    const added = parseAddedLines(patch);
    const byCommit = new Map<string, SecretFinding[]>(uncached.map((sha) => [sha, []]));
    for (const chunk of added) {
      const found = await scanTextForSecrets(chunk.file, chunk.text, chunk.lineMap);
      byCommit.get(chunk.commit)?.push(...found.map((f) => ({ ...f, commit: chunk.commit })));
    }
    for (const [sha, found] of byCommit) remember(ctx.store, cache, `commit:${sha}`, found);
  }
  for (const sha of commits)
    findings.push(...(cache.get(`commit:${sha}`) ?? []).filter((f) => !excluded(f.file)));
  return {
    findings,
    commits: commits.length,
    ...(last ? { since: last.tag ?? last.commit.slice(0, 12) } : {}),
  };
}

export const noSecretsInGitCheck: RuleCheck<PreflightContext> = {
  ruleId: 'no-secrets-in-git',
  async run(ctx) {
    const excludes = ctx.config.secretScan.exclude;
    const excluded = excludes.length > 0 ? picomatch(excludes, { dot: true }) : () => false;
    const cache = readCache(ctx.store);
    // deploy --commit X of another commit than HEAD: X's own files and history are what ship.
    const other = ctx.commit !== undefined && ctx.commit !== (await ctx.git.head()) ? ctx.commit : undefined;
    const [tree, history] = await Promise.all([
      other ? scanCommitFiles(ctx, other, cache, excluded) : scanTrackedFiles(ctx, cache, excluded),
      scanRecentCommits(ctx, cache, excluded, other ?? 'HEAD'),
    ]);
    const files = other ? `files of commit ${other.slice(0, 12)}` : 'tracked files';
    const scope = `${tree.scanned} ${files} and ${history.commits} commit(s)${history.since ? ` since ${history.since}` : ''}`;
    const all = [
      ...tree.findings,
      ...history.findings.filter((h) => !tree.findings.some((t) => t.file === h.file && t.line === h.line)),
    ];
    if (all.length === 0) return { status: 'pass', message: `no credentials in ${scope}` };
    const shown = all
      .slice(0, 5)
      .map(
        (f) =>
          `${f.file}:${f.line} ${f.rule} ${f.masked}${f.commit ? ` (added in ${f.commit.slice(0, 7)})` : ''}`,
      );
    return {
      status: 'fail',
      message: `${all.length} credential(s) in ${scope}: ${shown.join('; ')}${all.length > 5 ? '; …' : ''}`,
      hint: 'Remove them, rotate every exposed credential (it is compromised), and load it from the vault. Test fixtures: secretScan.exclude.',
      details: { findings: all },
    };
  },
};
