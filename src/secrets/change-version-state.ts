import { runAudited } from '../audit/run-audited.js';
import { assertEnvironment } from '../config/index.js';
import { ProdguardError } from '../kernel/errors.js';
import { describeVersion, versionNotFound } from './local-secret-vault.js';
import { purgeDueVersions } from './purge-due-versions.js';
import type { SecretVersionInfo } from './secret-vault.js';
import { requireSecret, type SecretsContext } from './secrets-context.js';
import { revisionsUsing } from './secrets-ports.js';

export interface ChangeVersionStateInput {
  name: string;
  environment: string;
  version: number;
  state: 'enabled' | 'disabled';
}

/**
 * Enables or disables a version. Disabling the pinned version, or one a running revision uses, is refused:
 * the next restart of that revision could not read it.
 */
export async function changeVersionState(
  ctx: SecretsContext,
  input: ChangeVersionStateInput,
): Promise<SecretVersionInfo> {
  assertEnvironment(ctx.config, input.environment);
  const ref = { name: input.name, environment: input.environment };
  // Mutating commands erase values whose grace period ended (audited); reads never do.
  await purgeDueVersions(ctx);
  await requireSecret(ctx, ref);
  const info = await ctx.vault.getVersion(ref, input.version);
  if (!info) throw versionNotFound(ref, input.version);
  if (input.state === 'disabled') {
    const pin = ctx.pins.get(ref);
    const users = await revisionsUsing(ctx.running, input.environment, input.name, [input.version]);
    const reasons = [
      ...(pin?.version === input.version ? [`it is pinned in ${input.environment}`] : []),
      ...(users ?? []).map((r) => `running revision ${r.revision} uses it`),
    ];
    if (reasons.length > 0) {
      ctx.audit.append({
        actor: ctx.actor,
        environment: input.environment,
        action: 'secrets.disable',
        target: `${input.name} v${input.version}`,
        outcome: 'refused',
        details: { reasons },
      });
      throw new ProdguardError(
        'PRODGUARD_SECRET_DISABLE_REFUSED',
        `Refusing to disable ${describeVersion(ref, input.version)}: ${reasons.join('; ')}.`,
        { kind: 'refused', hint: 'Pin and roll out another version first.', details: { reasons } },
      );
    }
  }
  const { value: updated } = await runAudited(
    ctx.audit,
    {
      actor: ctx.actor,
      environment: input.environment,
      action: input.state === 'enabled' ? 'secrets.enable' : 'secrets.disable',
      target: `${input.name} v${input.version}`,
      details: {
        name: input.name,
        version: input.version,
        ...(info.destroyAfter && input.state === 'enabled'
          ? { cancelledDestroyAfter: info.destroyAfter }
          : {}),
      },
    },
    () =>
      input.state === 'enabled'
        ? ctx.vault.enableVersion(ref, input.version)
        : ctx.vault.disableVersion(ref, input.version),
  );
  if (updated.state !== input.state) {
    throw new ProdguardError(
      'PRODGUARD_SECRET_VERSION_UNAVAILABLE',
      `${describeVersion(ref, input.version)} is ${updated.state}.`,
    );
  }
  return updated;
}
