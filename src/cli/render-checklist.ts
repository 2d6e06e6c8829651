import { formatDuration } from '../kernel/duration.js';
import type { PreflightResult } from '../preflight/index.js';
import { type Style, SYMBOL, verdictSymbol } from './render.js';

/** The checklist as a person reads it: one line per check, the fix under each failure. */
export function renderChecklist(result: PreflightResult, s: Style, title: string): string {
  const width = Math.max(...result.checks.map((c) => c.id.length));
  const lines = [s.bold(title)];
  for (const check of result.checks) {
    const time = check.status === 'skipped' ? '' : s.dim(` ${formatDuration(check.durationMs)}`);
    const message = check.status === 'skipped' ? s.dim(check.message) : check.message;
    lines.push(`  ${verdictSymbol(check.status, s)} ${check.id.padEnd(width)}  ${message}${time}`);
    if (check.status === 'overridden') lines.push(`      ${s.warn(`overridden: ${check.overrideReason}`)}`);
    if ((check.status === 'fail' || check.status === 'warn') && check.hint)
      lines.push(`      ${s.dim('→')} ${check.hint}`);
    const tail = check.details?.tail;
    if (check.status === 'fail' && typeof tail === 'string' && tail.trim()) {
      lines.push(...tail.split('\n').map((l) => `      ${s.dim(`│ ${l}`)}`));
    }
  }
  const failed = result.checks.filter((c) => c.status === 'fail');
  const counted = result.checks.filter((c) => c.status !== 'skipped');
  lines.push(
    failed.length === 0
      ? s.ok(
          `${SYMBOL.pass} ${counted.length - result.checks.filter((c) => c.status === 'warn').length}/${counted.length} checks passed: ${result.env} is clear to deploy.`,
        )
      : s.bad(
          `${SYMBOL.fail} ${failed.length} check${failed.length === 1 ? '' : 's'} block${failed.length === 1 ? 's' : ''} deploying to ${result.env}: ${failed.map((f) => f.id).join(', ')}.`,
        ),
  );
  if (failed.length > 0)
    lines.push(s.dim('  Fix them, or if you must: --override <rule> --reason "<why>" (audited).'));
  return `${lines.join('\n')}\n`;
}
