import { planReleaseTagName, releaseTagCandidates } from '../../freeze/index.js';
import type { RuleCheck } from '../../rules/index.js';
import type { PreflightContext } from '../preflight-context.js';

/**
 * Seed §5 step 5: the rollback tag can be created. A second release in the same minute takes a suffixed
 * name (v20261204-1500-2), as the deploy does; the check fails when every candidate is taken or the
 * pattern yields an invalid tag name.
 */
export const rollbackTagFreeCheck: RuleCheck<PreflightContext> = {
  ruleId: 'rollback-tag-free',
  async run(ctx) {
    const name = planReleaseTagName(ctx.config.releaseTag, ctx.at, ctx.config.timezone, {
      environment: ctx.environment,
      commit: await ctx.git.head(),
    });
    const valid = await ctx.git.raw(['check-ref-format', `refs/tags/${name}`]);
    if (valid.failed) {
      return {
        status: 'fail',
        message: `"${name}" is not a valid tag name`,
        hint: 'Fix releaseTag in prodguard.yaml.',
      };
    }
    const candidates = releaseTagCandidates(name);
    for (const candidate of candidates) {
      if (!(await ctx.git.tagExists(candidate))) {
        const message =
          candidate === name ? `${name} is free` : `${candidate} is free (${name} is taken this minute)`;
        return { status: 'pass', message, details: { tag: candidate } };
      }
    }
    return {
      status: 'fail',
      message: `${candidates[0]} through ${candidates.at(-1)} already exist`,
      hint: 'Wait for the next minute, or delete stale local tags (git tag -d <name>) that were never pushed.',
      details: { tag: name },
    };
  },
};
