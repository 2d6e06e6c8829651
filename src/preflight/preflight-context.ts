import type { Config } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import type { StateStore } from '../store/index.js';
import { GitFacts } from './git-facts.js';

/** What every checklist check may read. Built once per preflight run. */
export interface PreflightContext {
  config: Config;
  environment: string;
  /** The moment being asked about: now, or --at. */
  at: Date;
  /** The deploy note (--note), if any. */
  note?: string;
  git: GitFacts;
  store: StateStore;
  processes: ProcessRunner;
  clock: Clock;
  log: Logger;
  env: NodeJS.ProcessEnv;
  logsDir: string;
  /** Called by the test check as it starts and when it finishes. */
  beginTests: () => void;
  settleTests: () => void;
  /**
   * Resolves when the test suite has finished, at once when it is not running (coverage reads the summary
   * the tests write). The engine starts checks in rule order, tests-pass first, so by the time coverage
   * asks, the suite has started if it is going to run at all.
   */
  testsSettled: () => Promise<void>;
  /** Inside a deploy the platform judges the required environment's health (staging-first) when no URL is configured. */
  requiredHealthFromPlatform?: boolean;
  /**
   * The commit a deploy ships (`deploy --commit X`, resolved). When it is not what is checked out, the
   * checks about the code (tests, branch) judge it, not the checkout.
   */
  commit?: string;
}

export interface PreflightContextOptions {
  config: Config;
  store: StateStore;
  processes: ProcessRunner;
  clock: Clock;
  log: Logger;
  env: NodeJS.ProcessEnv;
  logsDir: string;
  environment: string;
  at?: Date;
  note?: string;
  requiredHealthFromPlatform?: boolean;
  commit?: string;
}

export function createPreflightContext(options: PreflightContextOptions): PreflightContext {
  let started = false;
  let settle: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  return {
    config: options.config,
    environment: options.environment,
    at: options.at ?? options.clock.now(),
    ...(options.note !== undefined ? { note: options.note } : {}),
    git: new GitFacts(options.config.root, options.processes, options.env),
    store: options.store,
    processes: options.processes,
    clock: options.clock,
    log: options.log,
    env: options.env,
    logsDir: options.logsDir,
    beginTests: () => {
      started = true;
    },
    settleTests: () => settle(),
    testsSettled: () => (started ? done : Promise.resolve()),
    ...(options.requiredHealthFromPlatform ? { requiredHealthFromPlatform: true } : {}),
    ...(options.commit !== undefined ? { commit: options.commit } : {}),
  };
}
