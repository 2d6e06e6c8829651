import type { AuditAction } from '../audit/audit-actions.js';
import { runAudited } from '../audit/run-audited.js';
import { assertEnvironment } from '../config/index.js';
import { ProdguardError } from '../kernel/errors.js';
import { purgeDueVersions } from './purge-due-versions.js';
import type { SecretPin } from './secret-pins.js';
import type { SecretKind, SecretVersionInfo, SecretVersionMetadata } from './secret-vault.js';
import { assertSecretName, type SecretsContext } from './secrets-context.js';

export interface AddSecretVersionInput {
  name: string;
  environment: string;
  /** Defaults to the existing secret's kind, else `external`. */
  kind?: SecretKind;
  value: string;
  metadata?: SecretVersionMetadata;
  /** What added it, when not `secrets add` itself (recorded as `details.via`). */
  via?: AuditAction;
}

export interface AddSecretVersionResult {
  version: SecretVersionInfo;
  kind: SecretKind;
  /** Set when this was the first version and it was pinned automatically. */
  pinned?: SecretPin;
}

/** One trailing newline (from `echo` or an editor) is not part of a secret. */
export function normalizeSecretInput(raw: string): string {
  return raw.replace(/\r?\n$/, '');
}

/** The login role of a postgres connection URL (not secret), or undefined when it is not a URL. */
export function roleOfDatabaseUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.username ? decodeURIComponent(url.username) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Adds a new immutable version. The first version of a secret is pinned at once (there is nothing else a
 * revision could use); later versions are pinned explicitly or by a rotation.
 */
export async function addSecretVersion(
  ctx: SecretsContext,
  input: AddSecretVersionInput,
): Promise<AddSecretVersionResult> {
  assertSecretName(input.name);
  assertEnvironment(ctx.config, input.environment);
  const ref = { name: input.name, environment: input.environment };
  // Mutating commands erase values whose grace period ended (audited); reads never do.
  await purgeDueVersions(ctx);
  if (input.value.length === 0) {
    throw new ProdguardError('PRODGUARD_SECRET_VALUE_EMPTY', `The value for ${input.name} is empty.`, {
      kind: 'usage',
      hint: 'Pipe the value on stdin or pass --from-file <file>.',
    });
  }
  ctx.knownSecrets.add(input.value);
  const existing = await ctx.vault.getSecret(ref);
  if (existing && input.kind && existing.kind !== input.kind) {
    throw new ProdguardError(
      'PRODGUARD_SECRET_KIND_MISMATCH',
      `${input.name} in ${input.environment} is a ${existing.kind} secret, not ${input.kind}.`,
      { kind: 'usage', hint: 'Leave out --kind, or use another secret name.' },
    );
  }
  const kind = existing?.kind ?? input.kind ?? 'external';
  const role = kind === 'postgres' ? roleOfDatabaseUrl(input.value) : undefined;
  if (kind === 'postgres' && !role) {
    throw new ProdguardError(
      'PRODGUARD_SECRET_VALUE_INVALID',
      `A postgres secret is a connection URL with a user name; the value for ${input.name} is not one.`,
      {
        kind: 'usage',
        hint: 'Expected postgresql://USER:PASSWORD@HOST:5432/DATABASE (or use --kind external for other values).',
      },
    );
  }
  const metadata: SecretVersionMetadata = { ...(role ? { role } : {}), ...input.metadata };
  const { value } = await runAudited(
    ctx.audit,
    {
      actor: ctx.actor,
      environment: input.environment,
      action: 'secrets.add',
      target: input.name,
      details: { name: input.name, kind, metadata, ...(input.via ? { via: input.via } : {}) },
    },
    async () => {
      const version = await ctx.vault.addVersion(ref, input.value, { actor: ctx.actor, kind, metadata });
      const pinned =
        ctx.pins.get(ref) === undefined ? ctx.pins.set(ref, version.version, ctx.actor) : undefined;
      return { version, pinned };
    },
    ({ version, pinned }) => ({
      target: `${input.name} v${version.version}`,
      details: { version: version.version, pinned: pinned !== undefined },
    }),
  );
  return { version: value.version, kind, ...(value.pinned ? { pinned: value.pinned } : {}) };
}
