import type { CheckOutcome, RuleCheck } from '../../rules/index.js';
import type { PreflightContext } from '../preflight-context.js';

export const rightBranchCheck: RuleCheck<PreflightContext> = {
  ruleId: 'right-branch',
  async run(ctx) {
    const expected = ctx.config.environments[ctx.environment]?.branch;
    if (!expected) return { status: 'skipped', message: `${ctx.environment} has no branch configured` };
    // deploy --commit X of another commit than HEAD: X itself must be on the branch.
    if (ctx.commit !== undefined && ctx.commit !== (await ctx.git.head()))
      return commitOnBranch(ctx, ctx.commit, expected);
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

async function commitOnBranch(ctx: PreflightContext, commit: string, branch: string): Promise<CheckOutcome> {
  const short = commit.slice(0, 12);
  const onIt = await ctx.git.raw(['merge-base', '--is-ancestor', commit, `refs/heads/${branch}`]);
  if (!onIt.failed) return { status: 'pass', message: `commit ${short} is on ${branch}` };
  return {
    status: 'fail',
    message: `commit ${short} is not on ${branch}; ${ctx.environment} deploys only from ${branch}`,
    hint: `Merge it into ${branch} first, then deploy a commit of ${branch}.`,
  };
}

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
