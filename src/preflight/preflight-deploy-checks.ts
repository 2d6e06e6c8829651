import type { CheckOutcome } from '../rules/index.js';
import { PREFLIGHT_CHECKS } from './preflight-checks.js';
import { createPreflightContext } from './preflight-context.js';
import type { PreflightDeps } from './run-preflight.js';

export interface BoundPreflightCheck {
  readonly ruleId: string;
  readonly cost: 'cheap' | 'expensive';
  run(): Promise<CheckOutcome>;
}

const EXPENSIVE_CHECKS: ReadonlySet<string> = new Set(['tests-pass', 'coverage-minimums']);

/**
 * The checklist as checks of the deploy action, bound to one deploy: `prodguard deploy` evaluates them
 * together with its own rules in one evaluation, so `--override <rule> --reason` works for all of them.
 * The checks look at the checkout prodguard runs in (its tree, branch and tests), as the seed's manual
 * checklist does; a deploy of another commit has its tests and branch judged on that commit.
 */
export function preflightDeployChecks(deps: Omit<PreflightDeps, 'audit' | 'actor'>) {
  return {
    async checksFor(input: {
      environment: string;
      note?: string;
      release?: { commit: string };
    }): Promise<readonly BoundPreflightCheck[]> {
      const context = createPreflightContext({
        ...deps,
        environment: input.environment,
        ...(input.note !== undefined ? { note: input.note } : {}),
        // What ships: tests and branch are judged on it when it is not the checkout (deploy --commit X).
        ...(input.release ? { commit: input.release.commit } : {}),
        // The platform knows the required environment's health: staging-first checks it there.
        requiredHealthFromPlatform: true,
      });
      return PREFLIGHT_CHECKS.map((check) => ({
        ruleId: check.ruleId,
        // The test suite (and the coverage it writes) is paid for only after every cheap rule passed.
        cost: EXPENSIVE_CHECKS.has(check.ruleId) ? ('expensive' as const) : ('cheap' as const),
        run: () => check.run(context),
      }));
    },
  };
}
