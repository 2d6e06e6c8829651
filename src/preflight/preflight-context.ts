import type { Config } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import type { StateStore } from '../store/index.js';
import type { GitFacts } from './git-facts.js';

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
  /** Resolves when the test suite check has finished (coverage reads the summary the tests wrote). */
  testsSettled: Promise<void>;
  /** Called by the test check when it finishes. */
  settleTests: () => void;
  /** Inside a deploy the platform judges the required environment's health (staging-first) when no URL is configured. */
  requiredHealthFromPlatform?: boolean;
}
