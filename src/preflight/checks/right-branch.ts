import type { RuleCheck } from '../../rules/index.js';
import type { PreflightContext } from '../preflight-context.js';

export const rightBranchCheck: RuleCheck<PreflightContext> = {
  ruleId: 'right-branch',
  async run(ctx) {
    const expected = ctx.config.environments[ctx.environment]?.branch;
    if (!expected) return { status: 'skipped', message: `${ctx.environment} has no branch configured` };
    const current = await ctx.git.currentBranch();
    if (current === expected) return { status: 'pass', message: `on ${current}` };
    return {
      status: 'fail',
      message: current
        ? `on ${current}, but ${ctx.environment} deploys only from ${expected}`
        : `HEAD is detached; ${ctx.environment} deploys only from ${expected}`,
      hint: `git checkout ${expected} (merge your branch into ${expected} first).`,
    };
  },
};

export const upToDateCheck: RuleCheck<PreflightContext> = {
  ruleId: 'up-to-date',
  async run(ctx) {
    const upstream = await ctx.git.upstream();
    if (!upstream) {
      return {
        status: 'warn',
        message: 'no upstream branch configured; cannot tell whether teammates pushed newer commits',
        hint: 'git branch --set-upstream-to origin/<branch>',
      };
    }
    if (upstream.behind === 0) {
      return {
        status: 'pass',
        message: `up to date with ${upstream.name}${upstream.ahead ? ` (${upstream.ahead} ahead)` : ''} (local refs)`,
      };
    }
    return {
      status: 'fail',
      message: `${upstream.behind} commit(s) behind ${upstream.name}`,
      hint: 'git pull --rebase, then re-run the checklist.',
      details: upstream,
    };
  },
};
