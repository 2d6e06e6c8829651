import type { RuleCheck } from '../../rules/index.js';
import type { PreflightContext } from '../preflight-context.js';

export const cleanTreeCheck: RuleCheck<PreflightContext> = {
  ruleId: 'clean-tree',
  async run(ctx) {
    const entries = await ctx.git.status();
    if (entries.length === 0) return { status: 'pass', message: 'working tree clean' };
    const untracked = entries.filter((e) => e.code === '??').length;
    const changed = entries.length - untracked;
    const sample = entries.slice(0, 5).map((e) => `${e.code.trim() || '?'} ${e.path}`);
    return {
      status: 'fail',
      message: `${changed} uncommitted and ${untracked} untracked file(s): ${sample.join(', ')}${entries.length > 5 ? ', …' : ''}`,
      hint: 'Commit the changes, or set them aside with `git stash -u`.',
      details: { files: entries.map((e) => ({ status: e.code, path: e.path })) },
    };
  },
};
