import type { CheckOutcome } from '../rules/index.js';
import { PREFLIGHT_CHECKS } from './preflight-checks.js';
import { createPreflightContext } from './preflight-context.js';
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
      const context = createPreflightContext({
        ...deps,
        environment: input.environment,
        ...(input.note !== undefined ? { note: input.note } : {}),
        // The platform knows the required environment's health: staging-first checks it there.
        requiredHealthFromPlatform: true,
      });
      return PREFLIGHT_CHECKS.map((check) => ({ ruleId: check.ruleId, run: () => check.run(context) }));
    },
  };
}
