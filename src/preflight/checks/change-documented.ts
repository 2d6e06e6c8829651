import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RuleCheck } from '../../rules/index.js';
import { findLastRelease } from '../last-release.js';
import type { PreflightContext } from '../preflight-context.js';

export const changeDocumentedCheck: RuleCheck<PreflightContext> = {
  ruleId: 'change-documented',
  async run(ctx) {
    if (ctx.note && ctx.note.trim().length >= 3)
      return { status: 'pass', message: `deploy note: "${ctx.note.trim()}"` };
    const changelog = ctx.config.changelog;
    const last = await findLastRelease(ctx.store, ctx.git, ctx.environment, ctx.config.releaseTag);
    if (!last) {
      const tracked = (await ctx.git.raw(['ls-files', '--error-unmatch', changelog])).failed === false;
      if (tracked)
        return { status: 'pass', message: `first release to ${ctx.environment}; ${changelog} is present` };
      return {
        status: 'fail',
        message: `no --note and no ${changelog} in git`,
        hint: `Pass --note "<what changes and why>", or commit a ${changelog}.`,
      };
    }
    const changed = await ctx.git.text(['diff', '--name-only', `${last.commit}..HEAD`, '--', changelog]);
    if (changed.trim()) {
      return {
        status: 'pass',
        message: `${changelog} changed since the last ${ctx.environment} release (${last.tag ?? last.commit.slice(0, 12)})`,
      };
    }
    return {
      status: 'fail',
      message: `no --note, and ${changelog} ${existsSync(join(ctx.config.root, changelog)) ? 'has not changed' : 'does not exist'} since the last ${ctx.environment} release (${last.tag ?? last.commit.slice(0, 12)})`,
      hint: `Pass --note "<what changes and why>", or add an entry to ${changelog} and commit it.`,
    };
  },
};
