import type { SecretVersionInfo } from './secret-vault.js';
import type { SecretsContext } from './secrets-context.js';

/** Erases values whose destruction grace period has passed, with one audit event per destroyed version. */
export async function purgeDueVersions(
  ctx: Pick<SecretsContext, 'vault' | 'audit' | 'actor'>,
): Promise<SecretVersionInfo[]> {
  const destroyed = await ctx.vault.purgeDue();
  for (const v of destroyed) {
    ctx.audit.append({
      actor: ctx.actor,
      environment: v.environment,
      action: 'secrets.destroyed',
      target: `${v.name} v${v.version}`,
      outcome: 'success',
      details: { name: v.name, version: v.version, scheduledFor: v.destroyAfter ?? null },
    });
  }
  return destroyed;
}
