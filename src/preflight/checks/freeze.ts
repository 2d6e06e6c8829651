import { planFreezes, planWeekdayFreeze, readManualFreezes } from '../../freeze/index.js';
import type { RuleCheck } from '../../rules/index.js';
import type { PreflightContext } from '../preflight-context.js';

export const noFridayDeploysCheck: RuleCheck<PreflightContext> = {
  ruleId: 'no-friday-deploys',
  async run(ctx) {
    const finding = planWeekdayFreeze(ctx.at, ctx.config.timezone, ctx.config.freeze.weekdays);
    if (!finding) return { status: 'pass', message: `not a no-deploy day in ${ctx.config.timezone}` };
    return {
      status: 'fail',
      message: finding.reason,
      hint: 'Deploy another day; if it is critical: --override no-friday-deploys --reason "<why>".',
      details: { ...finding },
    };
  },
};

export const deployFreezeCheck: RuleCheck<PreflightContext> = {
  ruleId: 'deploy-freeze',
  async run(ctx) {
    const findings = planFreezes({
      at: ctx.at,
      environment: ctx.environment,
      timezone: ctx.config.timezone,
      windows: ctx.config.freeze.windows,
      manual: readManualFreezes(ctx.store),
    });
    if (findings.length === 0) return { status: 'pass', message: 'no freeze in effect' };
    return {
      status: 'fail',
      message: `frozen: ${findings.map((f) => f.reason).join('; ')}`,
      hint: 'Wait for the freeze to end, `prodguard freeze off` if it is over, or --override deploy-freeze --reason.',
      details: { freezes: findings },
    };
  },
};
