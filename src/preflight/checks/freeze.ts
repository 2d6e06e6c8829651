import { checkFreezes, checkWeekdayFreeze } from '../../freeze/index.js';
import type { RuleCheck } from '../../rules/index.js';
import type { PreflightContext } from '../preflight-context.js';

export const noFridayDeploysCheck: RuleCheck<PreflightContext> = {
  ruleId: 'no-friday-deploys',
  run: async (ctx) => checkWeekdayFreeze(ctx.config, ctx.at),
};

export const deployFreezeCheck: RuleCheck<PreflightContext> = {
  ruleId: 'deploy-freeze',
  run: async (ctx) => checkFreezes(ctx.config, ctx.store, ctx.environment, ctx.at),
};
