import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
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
 * Runs the configured test suite. A pass is cached for the exact tree hash (tracked and untracked files),
 * so a second preflight on the same tree does not rerun it; a failure is never cached.
 */
export const testsPassCheck: RuleCheck<PreflightContext> = {
  ruleId: 'tests-pass',
  async run(ctx) {
    ctx.beginTests();
    try {
      return await runTests(ctx);
    } finally {
      ctx.settleTests();
    }
  },
};

async function runTests(ctx: PreflightContext): Promise<CheckOutcome> {
  const { command, timeout } = ctx.config.tests;
  const treeHash = await ctx.git.treeHash();
  const cached = readCachedPass(ctx.store, treeHash, command);
  if (cached) {
    return {
      status: 'pass',
      message: `passed for tree ${treeHash.slice(0, 12)} at ${cached.at} (cached; ran ${formatDuration(cached.duration_ms)})`,
      details: { treeHash, cached: true, log: cached.log_path },
    };
  }
  mkdirSync(ctx.logsDir, { recursive: true });
  const logPath = join(ctx.logsDir, `tests-${treeHash.slice(0, 12)}-${ctx.clock.nowMs()}.log`);
  const result = await ctx.processes.runShell(command, {
    cwd: ctx.config.root,
    // The suite sees which environment is being prepared; nothing else of prodguard's.
    env: { ...ctx.env, CI: ctx.env.CI ?? 'true', PRODGUARD_PREFLIGHT_ENV: ctx.environment },
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
      status: 'pass',
      message: `\`${command}\` passed in ${formatDuration(result.durationMs)}`,
      details: { treeHash, cached: false, log: logPath },
    };
  }
  const why = result.timedOut
    ? `timed out after ${formatDuration(timeout)}`
    : result.spawnError
      ? `could not start: ${result.spawnError}`
      : `exited with ${result.exitCode ?? result.signal}`;
  const tail = tailLines(`${result.stdout}\n${result.stderr}`, 15);
  return {
    status: 'fail',
    message: `\`${command}\` ${why}`,
    hint: `Full output: ${logPath}`,
    details: { treeHash, log: logPath, tail },
  };
}
