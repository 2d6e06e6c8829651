import { runAudited } from '../audit/run-audited.js';
import { assertEnvironment } from '../config/index.js';
import { ProdguardError } from '../kernel/errors.js';
import { describeVersion, versionNotFound } from './local-secret-vault.js';
import { purgeDueVersions } from './purge-due-versions.js';
import type { SecretPin } from './secret-pins.js';
import { requireSecret, type SecretsContext } from './secrets-context.js';

export interface PinSecretVersionInput {
  name: string;
  environment: string;
  version: number;
  reason?: string;
}

/** Pins a version for the environment's next revisions. Only enabled versions can be pinned. */
export async function pinSecretVersion(
  ctx: SecretsContext,
  input: PinSecretVersionInput,
): Promise<SecretPin> {
  assertEnvironment(ctx.config, input.environment);
  const ref = { name: input.name, environment: input.environment };
  // Mutating commands erase values whose grace period ended (audited); reads never do.
  await purgeDueVersions(ctx);
  await requireSecret(ctx, ref);
  const info = await ctx.vault.getVersion(ref, input.version);
  if (!info) throw versionNotFound(ref, input.version);
  if (info.state !== 'enabled') {
    throw new ProdguardError(
      'PRODGUARD_SECRET_VERSION_UNAVAILABLE',
      `${describeVersion(ref, input.version)} is ${info.state}; only enabled versions can be pinned.`,
      {
        kind: 'refused',
        hint: `Enable it first: prodguard secrets enable ${input.name} ${input.version} --env ${input.environment}`,
      },
    );
  }
  const before = ctx.pins.get(ref);
  const { value: pin } = await runAudited(
    ctx.audit,
    {
      actor: ctx.actor,
      environment: input.environment,
      action: 'secrets.pin',
      target: `${input.name} v${input.version}`,
      reason: input.reason,
      details: { name: input.name, version: input.version, previousVersion: before?.version ?? null },
    },
    () => ctx.pins.set(ref, input.version, ctx.actor),
  );
  return pin;
}
