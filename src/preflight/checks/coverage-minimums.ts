import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import picomatch from 'picomatch';
import type { CoverageGroup } from '../../config/index.js';
import type { CheckOutcome, RuleCheck } from '../../rules/index.js';
import type { PreflightContext } from '../preflight-context.js';

type Metric = 'lines' | 'statements' | 'branches' | 'functions';
export interface FileCoverage {
  covered: number;
  total: number;
}
export type CoverageByFile = Map<string, Record<Metric, FileCoverage>>;

/** istanbul json-summary: `{ total: {...}, "/abs/path.ts": { lines: { total, covered, pct }, ... } }`. */
export function parseIstanbulSummary(text: string, root: string): CoverageByFile {
  const data = JSON.parse(text) as Record<string, Record<Metric, { total: number; covered: number }>>;
  const out: CoverageByFile = new Map();
  for (const [file, metrics] of Object.entries(data)) {
    if (file === 'total') continue;
    const path = isAbsolute(file) ? relative(root, file) : file;
    out.set(path.split('\\').join('/'), {
      lines: pick(metrics.lines),
      statements: pick(metrics.statements),
      branches: pick(metrics.branches),
      functions: pick(metrics.functions),
    });
  }
  return out;
}

function pick(value: { total: number; covered: number } | undefined): FileCoverage {
  return { covered: value?.covered ?? 0, total: value?.total ?? 0 };
}

/** lcov.info: SF/LF/LH/FNF/FNH/BRF/BRH records (statements are counted as lines). */
export function parseLcov(text: string, root: string): CoverageByFile {
  const out: CoverageByFile = new Map();
  let file: string | undefined;
  let record: Record<Metric, FileCoverage> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const [key, value = ''] = raw.split(/:(.*)/s);
    if (key === 'SF') {
      file = (isAbsolute(value) ? relative(root, value) : value).split('\\').join('/');
      record = {
        lines: { covered: 0, total: 0 },
        statements: { covered: 0, total: 0 },
        branches: { covered: 0, total: 0 },
        functions: { covered: 0, total: 0 },
      };
    } else if (record && key === 'LF') record.lines.total = record.statements.total = Number(value);
    else if (record && key === 'LH') record.lines.covered = record.statements.covered = Number(value);
    else if (record && key === 'FNF') record.functions.total = Number(value);
    else if (record && key === 'FNH') record.functions.covered = Number(value);
    else if (record && key === 'BRF') record.branches.total = Number(value);
    else if (record && key === 'BRH') record.branches.covered = Number(value);
    else if (key === 'end_of_record' && file && record) {
      out.set(file, record);
      file = undefined;
      record = undefined;
    }
  }
  return out;
}

export interface GroupCoverage {
  name: string;
  minimum: number;
  files: number;
  /** Percent, or null when no file matched the group's globs. */
  pct: number | null;
  ok: boolean;
}

/** Pure: coverage of each group (covered / total over the matching files), against its minimum. */
export function assessCoverage(
  coverage: CoverageByFile,
  groups: readonly CoverageGroup[],
  metric: Metric,
): GroupCoverage[] {
  return groups.map((group) => {
    const include = picomatch(group.include, { dot: true });
    const exclude = group.exclude.length ? picomatch(group.exclude, { dot: true }) : () => false;
    let covered = 0;
    let total = 0;
    let files = 0;
    for (const [file, metrics] of coverage) {
      if (!include(file) || exclude(file)) continue;
      files++;
      covered += metrics[metric].covered;
      total += metrics[metric].total;
    }
    const pct = files === 0 ? null : total === 0 ? 100 : Math.floor((covered / total) * 10_000) / 100;
    return { name: group.name, minimum: group.minimum, files, pct, ok: pct === null || pct >= group.minimum };
  });
}

/** The coverage settings a verdict was reached with: new minimums or groups need a new verdict. */
function coverageSettings(ctx: PreflightContext): string {
  const { summary, metric, groups } = ctx.config.coverage;
  return createHash('sha256').update(JSON.stringify({ summary, metric, groups })).digest('hex');
}

/**
 * deploy --commit X of another tree than the checkout: the report on disk is the checkout's, so X's own
 * tree must have passed these minimums before (kept per tree, like the test suites' passes).
 */
function passedBeforeOn(ctx: PreflightContext, commit: string, shipped: string): CheckOutcome {
  const row = ctx.store.db
    .prepare<[string, string], { at: string; message: string }>(
      'SELECT at, message FROM coverage_runs WHERE tree_hash = ? AND settings = ?',
    )
    .get(shipped, coverageSettings(ctx));
  const short = commit.slice(0, 12);
  if (row)
    return {
      status: 'pass',
      message: `commit ${short} is not the checkout; its tree ${shipped.slice(0, 12)} met the minimums at ${row.at} (${row.message}; cached)`,
      details: { treeHash: shipped, cached: true },
    };
  return {
    status: 'fail',
    message: `deploying commit ${short} (tree ${shipped.slice(0, 12)}): the coverage report is the checkout's, and the deployed commit's tree never met the minimums`,
    hint: `Measure the commit that ships: git switch --detach ${short} && prodguard preflight ${ctx.environment}, then git switch - and deploy again; or deploy what is checked out.`,
    details: { treeHash: shipped },
  };
}

export const coverageMinimumsCheck: RuleCheck<PreflightContext> = {
  ruleId: 'coverage-minimums',
  async run(ctx) {
    const tree = await ctx.git.treeHash();
    if (ctx.commit !== undefined) {
      const shipped = await ctx.git.treeOf(ctx.commit);
      if (shipped !== tree) return passedBeforeOn(ctx, ctx.commit, shipped);
    }
    // The test suite may be writing the summary right now.
    await ctx.testsSettled();
    const { summary, metric, groups } = ctx.config.coverage;
    const path = join(ctx.config.root, summary);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return {
        status: 'fail',
        message: `no coverage report at ${summary}`,
        hint: 'Make a test suite (tests.suites) write one (vitest --coverage --coverage.reporter=json-summary, or c8/nyc --reporter=json-summary or lcovonly) or set coverage.summary.',
      };
    }
    let coverage: CoverageByFile;
    try {
      coverage =
        summary.endsWith('.info') || text.startsWith('TN:') || text.startsWith('SF:')
          ? parseLcov(text, ctx.config.root)
          : parseIstanbulSummary(text, ctx.config.root);
    } catch (error) {
      return {
        status: 'fail',
        message: `${summary} is not an istanbul json-summary or lcov file: ${(error as Error).message}`,
        hint: 'Regenerate it with the json-summary reporter.',
      };
    }
    const assessed = assessCoverage(coverage, groups, metric);
    const describe = (g: GroupCoverage) =>
      `${g.name} ${g.pct === null ? 'no files' : `${g.pct}%`}${g.pct === null ? '' : ` (min ${g.minimum}%)`}`;
    const failing = assessed.filter((g) => !g.ok);
    if (failing.length === 0) {
      const message = `${metric}: ${assessed.map(describe).join(', ')}`;
      ctx.store.db
        .prepare('INSERT OR REPLACE INTO coverage_runs(tree_hash, settings, at, message) VALUES (?, ?, ?, ?)')
        .run(tree, coverageSettings(ctx), ctx.clock.now().toISOString(), message);
      return { status: 'pass', message, details: { groups: assessed } };
    }
    return {
      status: 'fail',
      message: `${metric} below minimum: ${failing.map(describe).join(', ')}`,
      hint: 'Add tests for those files, or adjust the group globs in coverage.groups.',
      details: { groups: assessed },
    };
  },
};
