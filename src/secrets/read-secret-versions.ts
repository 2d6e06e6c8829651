import type { SecretKind, SecretRef, SecretVersionInfo } from './secret-vault.js';
import { requireSecret, type SecretsContext } from './secrets-context.js';

export interface SecretVersions {
  name: string;
  environment: string;
  kind: SecretKind;
  pinnedVersion: number | null;
  versions: SecretVersionInfo[];
}

/** Every version of one secret and which is pinned (metadata only, never a value). Reads only. */
export async function readSecretVersions(
  ctx: Pick<SecretsContext, 'vault' | 'pins' | 'config'>,
  ref: SecretRef,
): Promise<SecretVersions> {
  const secret = await requireSecret(ctx, ref);
  return {
    name: ref.name,
    environment: ref.environment,
    kind: secret.kind,
    pinnedVersion: ctx.pins.get(ref)?.version ?? null,
    versions: await ctx.vault.listVersions(ref),
  };
}
