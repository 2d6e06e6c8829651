import { runAudited } from '../audit/run-audited.js';
import { assertEnvironment } from '../config/index.js';
import { ProdguardError } from '../kernel/errors.js';
import { requireSecret, type SecretsContext } from './secrets-context.js';

export interface RevealSecretInput {
  name: string;
  environment: string;
  /** Default: the pinned version. */
  version?: number;
  /** Must be true: reading a value is a deliberate, audited act. */
  reveal: boolean;
  reason?: string;
}

export interface RevealSecretResult {
  name: string;
  environment: string;
  version: number;
  value: string;
}

/** Reads one value. Refused without `reveal`; audited (who, which version, why) either way, never the value. */
export async function revealSecret(
  ctx: SecretsContext,
  input: RevealSecretInput,
): Promise<RevealSecretResult> {
  assertEnvironment(ctx.config, input.environment);
  const ref = { name: input.name, environment: input.environment };
  await requireSecret(ctx, ref);
  const version = input.version ?? ctx.pins.get(ref)?.version;
  if (version === undefined) {
    throw new ProdguardError(
      'PRODGUARD_SECRET_VERSION_NOT_FOUND',
      `${input.name} has no pinned version in ${input.environment}.`,
      {
        kind: 'usage',
        hint: 'Name a version: --version <n>.',
      },
    );
  }
  const target = `${input.name} v${version}`;
  if (!input.reveal) {
    ctx.audit.append({
      actor: ctx.actor,
      environment: input.environment,
      action: 'secrets.get',
      target,
      outcome: 'refused',
      details: { reason: '--reveal missing' },
    });
    throw new ProdguardError(
      'PRODGUARD_SECRET_REVEAL_REQUIRED',
      `Printing ${target} (${input.environment}) needs --reveal.`,
      {
        kind: 'usage',
        hint: 'Values stay out of terminals and CI logs by default. Add --reveal (audited); prefer `secrets versions` for metadata.',
      },
    );
  }
  // A value is read only once the read is on record.
  const { value } = await runAudited(
    ctx.audit,
    {
      actor: ctx.actor,
      environment: input.environment,
      action: 'secrets.get',
      target,
      reason: input.reason,
      details: { name: input.name, version },
    },
    async () => {
      const plain = await ctx.vault.accessVersion(ref, version);
      ctx.knownSecrets.add(plain);
      return plain;
    },
    () => ({ details: { revealed: true } }),
  );
  return { name: input.name, environment: input.environment, version, value };
}
