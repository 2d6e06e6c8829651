import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestSuite } from '../../config/index.js';
import { formatDuration } from '../../kernel/duration.js';
import { tailLines } from '../../kernel/process-runner.js';
import type { CheckOutcome, RuleCheck } from '../../rules/index.js';
import type { StateStore } from '../../store/index.js';
import type { PreflightContext } from '../preflight-context.js';

interface TestRunRow {
  passed: number;
  at: string;
  duration_ms: number;
  log_path: string;
}

function readCachedPass(store: StateStore, treeHash: string, command: string): TestRunRow | undefined {
  return store.db
    .prepare<[string, string], TestRunRow>(
      'SELECT passed, at, duration_ms, log_path FROM test_runs WHERE tree_hash = ? AND command = ? AND passed = 1',
    )
    .get(treeHash, command);
}

function recordRun(
  store: StateStore,
  run: { treeHash: string; command: string; passed: boolean; at: Date; durationMs: number; logPath: string },
): void {
  store.db
    .prepare(
      `INSERT INTO test_runs(tree_hash, command, passed, at, duration_ms, log_path) VALUES (?,?,?,?,?,?)
       ON CONFLICT(tree_hash, command) DO UPDATE SET passed = excluded.passed, at = excluded.at, duration_ms = excluded.duration_ms, log_path = excluded.log_path`,
    )
    .run(run.treeHash, run.command, run.passed ? 1 : 0, run.at.toISOString(), run.durationMs, run.logPath);
}

/**
 * Runs every configured test suite (seed §9: unit and integration tiers), one after the other. A suite's pass
 * is cached for the exact tree hash (tracked and untracked files) and its command, so a second preflight on the
 * same tree does not rerun it; a failure is never cached. Every suite runs even when one fails, and each
 * suite's verdict is reported.
 */
export const testsPassCheck: RuleCheck<PreflightContext> = {
  ruleId: 'tests-pass',
  async run(ctx) {
    ctx.beginTests();
    try {
      return await runSuites(ctx);
    } finally {
      ctx.settleTests();
    }
  },
};

interface SuiteVerdict {
  name: string;
  command: string;
  status: 'pass' | 'fail';
  message: string;
  cached: boolean;
  log: string;
  tail?: string;
}

async function runSuites(ctx: PreflightContext): Promise<CheckOutcome> {
  const treeHash = await ctx.git.treeHash();
  if (ctx.commit !== undefined) {
    const shipped = await ctx.git.treeOf(ctx.commit);
    if (shipped !== treeHash) return passedBeforeOn(ctx, ctx.commit, shipped, treeHash);
  }
  const verdicts: SuiteVerdict[] = [];
  for (const suite of ctx.config.tests.suites) verdicts.push(await runSuite(ctx, suite, treeHash));
  const failed = verdicts.filter((v) => v.status === 'fail');
  const one = verdicts.length === 1;
  const describe = (v: SuiteVerdict) => (one ? v.message : `${v.name}: ${v.message}`);
  const suites = verdicts.map(({ tail: _tail, ...v }) => v);
  if (failed.length === 0) {
    return {
      status: 'pass',
      message: verdicts.map(describe).join('; '),
      details: {
        treeHash,
        cached: verdicts.every((v) => v.cached),
        ...(one ? { log: verdicts[0]!.log } : {}),
        suites,
      },
    };
  }
  return {
    status: 'fail',
    message:
      failed.map(describe).join('; ') +
      (one ? '' : ` (${verdicts.length - failed.length} of ${verdicts.length} suites passed)`),
    hint: `Full output: ${failed.map((v) => v.log).join(', ')}`,
    details: {
      treeHash,
      ...(one ? { log: verdicts[0]!.log } : {}),
      tail: failed.map((v) => (one ? v.tail : `[${v.name}]\n${v.tail}`)).join('\n'),
      suites,
    },
  };
}

/**
 * A deploy of a commit other than the checkout: the suites run on the checkout, so they cannot vouch for
 * it. Its own tree must have passed every suite before (a pass is kept per tree, e.g. from when it was
 * checked out and deployed to staging); nothing runs here, and a missing pass says how to get one.
 */
function passedBeforeOn(
  ctx: PreflightContext,
  commit: string,
  shipped: string,
  checkout: string,
): CheckOutcome {
  const suites = ctx.config.tests.suites.map((suite) => ({
    suite,
    pass: readCachedPass(ctx.store, shipped, suite.command),
  }));
  const missing = suites.filter((s) => !s.pass).map((s) => s.suite.name);
  const short = commit.slice(0, 12);
  const details = { treeHash: shipped, checkoutTree: checkout, commit, cached: true };
  if (missing.length === 0) {
    return {
      status: 'pass',
      message: `commit ${short} is not the checkout; its tree ${shipped.slice(0, 12)} passed ${suites.map((s) => `${s.suite.name} at ${s.pass!.at}`).join(', ')} (cached)`,
      details: {
        ...details,
        suites: suites.map((s) => ({
          name: s.suite.name,
          command: s.suite.command,
          status: 'pass',
          cached: true,
          log: s.pass!.log_path,
        })),
      },
    };
  }
  return {
    status: 'fail',
    message: `deploying commit ${short} (tree ${shipped.slice(0, 12)}), but the checkout is tree ${checkout.slice(0, 12)}: the suites run on the checkout, and ${missing.join(', ')} never passed on the deployed commit's tree`,
    hint: `Test the commit that ships: git switch --detach ${short} && prodguard preflight ${ctx.environment}, then git switch - and deploy again (a pass is kept per tree); or deploy what is checked out.`,
    details: { ...details, missing },
  };
}

async function runSuite(ctx: PreflightContext, suite: TestSuite, treeHash: string): Promise<SuiteVerdict> {
  const { name, command, timeout } = suite;
  const cached = readCachedPass(ctx.store, treeHash, command);
  if (cached) {
    return {
      name,
      command,
      status: 'pass',
      message: `passed for tree ${treeHash.slice(0, 12)} at ${cached.at} (cached; ran ${formatDuration(cached.duration_ms)})`,
      cached: true,
      log: cached.log_path,
    };
  }
  mkdirSync(ctx.logsDir, { recursive: true });
  const logPath = join(ctx.logsDir, `tests-${name}-${treeHash.slice(0, 12)}-${ctx.clock.nowMs()}.log`);
  const result = await ctx.processes.runShell(command, {
    cwd: ctx.config.root,
    // The suite sees which environment is being prepared, and its own name; nothing else of prodguard's.
    env: {
      ...ctx.env,
      CI: ctx.env.CI ?? 'true',
      PRODGUARD_PREFLIGHT_ENV: ctx.environment,
      PRODGUARD_TEST_SUITE: name,
    },
    timeoutMs: timeout,
    logFile: logPath,
    maxBuffer: 256 * 1024,
  });
  const passed = !result.failed;
  recordRun(ctx.store, {
    treeHash,
    command,
    passed,
    at: ctx.clock.now(),
    durationMs: result.durationMs,
    logPath,
  });
  if (passed) {
    return {
      name,
      command,
      status: 'pass',
      message: `\`${command}\` passed in ${formatDuration(result.durationMs)}`,
      cached: false,
      log: logPath,
    };
  }
  const why = result.timedOut
    ? `timed out after ${formatDuration(timeout)}`
    : result.spawnError
      ? `could not start: ${result.spawnError}`
      : `exited with ${result.exitCode ?? result.signal}`;
  return {
    name,
    command,
    status: 'fail',
    message: `\`${command}\` ${why}`,
    cached: false,
    log: logPath,
    tail: tailLines(`${result.stdout}\n${result.stderr}`, 15),
  };
}
