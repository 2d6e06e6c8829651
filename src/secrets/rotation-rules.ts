import { formatDuration } from '../kernel/duration.js';
import type { CheckOutcome, RuleCheck } from '../rules/rule-engine.js';
import type { RotationJournal } from './rotation-journal.js';
import type { SecretsContext } from './secrets-context.js';

/** What rotation rule checks see. */
export interface RotationRuleContext {
  name: string;
  environment: string;
  at: Date;
}

/**
 * `staging-first` for rotations: the environment this one requires (production requires staging) must have
 * rotated the same secret successfully within `secrets.stagingRotationMaxAge` (seed §7: always rotate on
 * staging first).
 */
export function rotationStagingFirstCheck(
  ctx: Pick<SecretsContext, 'config'>,
  journal: RotationJournal,
): RuleCheck<RotationRuleContext> {
  return {
    ruleId: 'staging-first',
    run: async ({ name, environment, at }): Promise<CheckOutcome> => {
      const required = ctx.config.environments[environment]?.requires;
      if (!required) return { status: 'pass', message: `${environment} requires no other environment` };
      const last = journal.lastSucceeded(name, required);
      const maxAge = ctx.config.secrets.stagingRotationMaxAge;
      const hint = `Rotate on ${required} first: prodguard secrets rotate ${name} --env ${required}`;
      if (!last?.finishedAt) {
        return { status: 'fail', message: `${name} was never rotated successfully on ${required}`, hint };
      }
      const age = at.getTime() - new Date(last.finishedAt).getTime();
      if (age > maxAge) {
        return {
          status: 'fail',
          message: `the last successful rotation of ${name} on ${required} (${last.finishedAt}) is older than ${formatDuration(maxAge)}`,
          hint,
        };
      }
      return {
        status: 'pass',
        message: `${name} was rotated on ${required} at ${last.finishedAt} (${last.id})`,
        details: { rotation: last.id },
      };
    },
  };
}

/** `<groupRole>` from config, else the project name as a role name (cvstomize-api → cvstomize_api). */
export function groupRoleOf(ctx: Pick<SecretsContext, 'config'>): string {
  return (
    ctx.config.secrets.groupRole ??
    ctx.config.project.name
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^([^a-z_])/, '_$1')
      .slice(0, 55)
  );
}

export function memberRolesOf(ctx: Pick<SecretsContext, 'config'>): [string, string] {
  const group = groupRoleOf(ctx);
  return [`${group}_a`, `${group}_b`];
}

/** Name of the secret holding the admin connection for a database secret. */
export function adminSecretName(ctx: Pick<SecretsContext, 'config'>, name: string): string {
  return ctx.config.secrets.adminSecret.replace('{name}', name);
}

/** True for the secrets that hold admin connections (never delivered to the app). */
export function isAdminSecretName(ctx: Pick<SecretsContext, 'config'>, name: string): boolean {
  const [prefix, suffix] = ctx.config.secrets.adminSecret.split('{name}') as [string, string];
  return name.length > prefix.length + suffix.length && name.startsWith(prefix) && name.endsWith(suffix);
}
