import type { CheckOutcome, RuleCheck } from '../rules/rule-engine.js';
import { getSecretStatus } from './secret-status.js';
import type { SecretsContext } from './secrets-context.js';

/**
 * The check behind the `secrets-rotation-due` rule: `warn` when a secret of the environment is past its
 * rotation date, `fail` (blocking) when it is past it by more than `secrets.wayOverdue`. Setting
 * `rules.secrets-rotation-due.severity: warn` turns that into a warning too.
 */
export function secretsRotationDueCheck(
  ctx: Pick<SecretsContext, 'vault' | 'pins' | 'clock' | 'config' | 'store'>,
): RuleCheck<{ environment: string }> {
  return {
    ruleId: 'secrets-rotation-due',
    run: async ({ environment }): Promise<CheckOutcome> => {
      const rows = (await getSecretStatus(ctx, { environment })).filter(
        (r) => r.rotatable || r.state !== 'ok',
      );
      const late = rows.filter((r) => r.state !== 'ok');
      const way = late.filter((r) => r.state === 'way-overdue');
      const details = {
        secrets: late.map((r) => ({ name: r.name, state: r.state, nextDue: r.nextDue, ageDays: r.ageDays })),
      };
      const list = late
        .map((r) => `${r.name} (${r.ageDays}d old, due ${r.nextDue?.slice(0, 10)})`)
        .join(', ');
      const hint = `prodguard secrets rotate <name> --env ${environment} (rotate on staging first)`;
      if (way.length > 0)
        return { status: 'fail', message: `way overdue for rotation: ${list}`, hint, details };
      if (late.length > 0) return { status: 'warn', message: `overdue for rotation: ${list}`, hint, details };
      return {
        status: 'pass',
        message: rows.length
          ? `${rows.length} secret${rows.length === 1 ? '' : 's'} within their rotation period`
          : 'no secrets in the vault',
      };
    },
  };
}
