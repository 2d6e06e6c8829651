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

function cached(store: StateStore, key: string): SecretFinding[] | undefined {
  const row = store.db
    .prepare<[string], { findings: string }>('SELECT findings FROM secret_scan_cache WHERE blob = ?')
    .get(key);
  return row ? (JSON.parse(row.findings) as SecretFinding[]) : undefined;
}

function remember(store: StateStore, key: string, findings: SecretFinding[]): void {
  store.db
    .prepare('INSERT OR REPLACE INTO secret_scan_cache(blob, findings) VALUES (?, ?)')
    .run(key, JSON.stringify(findings));
}

async function scanTrackedFiles(
  ctx: PreflightContext,
  excluded: (path: string) => boolean,
): Promise<{ findings: SecretFinding[]; scanned: number }> {
  const files = (await ctx.git.trackedFiles()).filter((f) => !excluded(f));
  const findings: SecretFinding[] = [];
  let scanned = 0;
  for (const file of files) {
    const path = join(ctx.config.root, file);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile() || info.size > MAX_FILE_BYTES) continue;
    const bytes = await readFile(path);
    if (bytes.includes(0)) continue; // binary
    // Keyed by content, so an unchanged file is never rescanned, whatever its path.
    const key = `content:${createHash('sha256').update(bytes).digest('hex')}`;
    let found = cached(ctx.store, key);
    if (!found) {
      found = await scanTextForSecrets(file, bytes.toString('utf8'));
      remember(ctx.store, key, found);
    }
    scanned++;
    findings.push(...found.map((f) => ({ ...f, file })));
  }
  return { findings, scanned };
}

async function scanRecentCommits(
  ctx: PreflightContext,
  excluded: (path: string) => boolean,
): Promise<{ findings: SecretFinding[]; commits: number; since?: string }> {
  const last = await findLastRelease(ctx.store, ctx.git, ctx.environment, ctx.config.releaseTag);
  const range = last ? [`${last.commit}..HEAD`] : ['-n', String(HISTORY_LIMIT), 'HEAD'];
  const commits = (await ctx.git.text(['rev-list', '--no-merges', ...range])).split('\n').filter(Boolean);
  const findings: SecretFinding[] = [];
  const uncached = commits.filter((sha) => !cached(ctx.store, `commit:${sha}`));
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
    for (const [sha, found] of byCommit) remember(ctx.store, `commit:${sha}`, found);
  }
  for (const sha of commits)
    findings.push(...(cached(ctx.store, `commit:${sha}`) ?? []).filter((f) => !excluded(f.file)));
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
    const [tree, history] = await Promise.all([
      scanTrackedFiles(ctx, excluded),
      scanRecentCommits(ctx, excluded),
    ]);
    const scope = `${tree.scanned} tracked files and ${history.commits} commit(s)${history.since ? ` since ${history.since}` : ''}`;
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
