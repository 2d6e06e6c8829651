import type { CheckOutcome } from '../rules/index.js';
import { GitFacts } from './git-facts.js';
import { PREFLIGHT_CHECKS } from './preflight-checks.js';
import type { PreflightContext } from './preflight-context.js';
import type { PreflightDeps } from './run-preflight.js';

export interface BoundPreflightCheck {
  readonly ruleId: string;
  run(): Promise<CheckOutcome>;
}

/**
 * The checklist as checks of the deploy action, bound to one deploy: `prodguard deploy` evaluates them
 * together with its own rules in one evaluation, so `--override <rule> --reason` works for all of them.
 * The checks look at the checkout prodguard runs in (its tree, branch and tests), as the seed's manual
 * checklist does.
 */
export function preflightDeployChecks(deps: Omit<PreflightDeps, 'audit' | 'actor'>) {
  return {
    async checksFor(input: { environment: string; note?: string }): Promise<readonly BoundPreflightCheck[]> {
      let settleTests: () => void = () => {};
      const testsSettled = new Promise<void>((resolve) => {
        settleTests = resolve;
      });
      const context: PreflightContext = {
        config: deps.config,
        environment: input.environment,
        at: deps.clock.now(),
        ...(input.note !== undefined ? { note: input.note } : {}),
        git: new GitFacts(deps.config.root, deps.processes, deps.env),
        store: deps.store,
        processes: deps.processes,
        clock: deps.clock,
        log: deps.log,
        env: deps.env,
        logsDir: deps.logsDir,
        testsSettled,
        settleTests,
        // The platform knows the required environment's health: staging-first checks it there.
        requiredHealthFromPlatform: true,
      };
      // The engine starts applicable checks in rule order, so when coverage starts we know whether the
      // suite is running; if it was skipped (scope, severity off), coverage must not wait for it.
      let testsStarted = false;
      return PREFLIGHT_CHECKS.map((check) => ({
        ruleId: check.ruleId,
        run: () => {
          if (check.ruleId === 'tests-pass') testsStarted = true;
          if (check.ruleId === 'coverage-minimums' && !testsStarted) settleTests();
          return check.run(context);
        },
      }));
    },
  };
}
