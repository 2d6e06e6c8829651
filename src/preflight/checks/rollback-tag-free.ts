import { formatReleaseTag } from '../../freeze/index.js';
import type { RuleCheck } from '../../rules/index.js';
import type { PreflightContext } from '../preflight-context.js';

export const rollbackTagFreeCheck: RuleCheck<PreflightContext> = {
  ruleId: 'rollback-tag-free',
  async run(ctx) {
    const tag = formatReleaseTag(ctx.config.releaseTag, ctx.at, ctx.config.timezone);
    const valid = await ctx.git.raw(['check-ref-format', `refs/tags/${tag}`]);
    if (valid.failed) {
      return {
        status: 'fail',
        message: `"${tag}" is not a valid tag name`,
        hint: 'Fix releaseTag in prodguard.yaml.',
      };
    }
    if (await ctx.git.tagExists(tag)) {
      return {
        status: 'fail',
        message: `tag ${tag} already exists`,
        hint: `Tags are per minute: wait and retry, or delete the stale local tag (git tag -d ${tag}) if it was never pushed.`,
        details: { tag },
      };
    }
    return { status: 'pass', message: `${tag} is free`, details: { tag } };
  },
};
