import { runAudited } from '../audit/run-audited.js';
import type { SecretVersionInfo } from './secret-vault.js';
import type { SecretsContext } from './secrets-context.js';

/** Erases values whose destruction grace period has passed, with one audit event per destroyed version. */
export async function purgeDueVersions(
  ctx: Pick<SecretsContext, 'vault' | 'audit' | 'actor'>,
): Promise<SecretVersionInfo[]> {
  // Which versions are due is known only once the vault erases them: the intent names the rule, the outcome the versions.
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
