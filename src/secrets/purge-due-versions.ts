import { runAudited } from '../audit/run-audited.js';
import type { SecretVersionInfo } from './secret-vault.js';
import type { SecretsContext } from './secrets-context.js';

/**
 * Erases values whose destruction grace period has passed. The purge is audited (intent, then the versions
 * destroyed) only when some version is scheduled for destruction at all, so a call with nothing to do
 * writes nothing.
 */
export async function purgeDueVersions(
  ctx: Pick<SecretsContext, 'vault' | 'audit' | 'actor'>,
): Promise<SecretVersionInfo[]> {
  const secrets = await ctx.vault.listSecrets();
  const versions = (await Promise.all(secrets.map((s) => ctx.vault.listVersions(s)))).flat();
  if (!versions.some((v) => v.state !== 'destroyed' && v.destroyAfter !== undefined)) return [];
  // Which versions are due is known once the vault erases them: the intent names the rule, the outcome the versions.
  const { value } = await runAudited(
    ctx.audit,
    { actor: ctx.actor, action: 'secrets.purge', target: 'versions past their destruction time' },
    () => ctx.vault.purgeDue(),
    (destroyed) => ({
      details: {
        destroyed: destroyed.map((v) => ({
          environment: v.environment,
          name: v.name,
          version: v.version,
          scheduledFor: v.destroyAfter ?? null,
        })),
      },
    }),
  );
  return value;
}
