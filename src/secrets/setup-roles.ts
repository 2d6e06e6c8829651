import { runAudited } from '../audit/run-audited.js';
import { ProdguardError } from '../kernel/errors.js';
import { addSecretVersion } from './add-secret-version.js';
import { type PostgresRoleAdmin, withCredentials } from './postgres-role-admin.js';
import { adminSecretName, groupRoleOf, memberRolesOf } from './rotation-rules.js';
import { generatePassword } from './scram-verifier.js';
import { assertEnvironment, type SecretsContext } from './secrets-context.js';

export interface SetupRolesInput {
  name: string;
  environment: string;
}

export interface SetupRolesResult {
  group: string;
  members: [string, string];
  created: string[];
  /** Set when the secret had no version: v1 now logs in as the first member. */
  addedVersion?: number;
}

/**
 * Creates the group role that owns the app's objects and its two login members (`<group>_a`, `<group>_b`)
 * through the admin connection secret. When the database secret has no version yet, v1 is created for
 * `<group>_a` and pinned. Existing roles keep their passwords.
 */
export async function setupRoles(
  ctx: SecretsContext,
  input: SetupRolesInput,
  deps: { postgres: PostgresRoleAdmin },
): Promise<SetupRolesResult> {
  assertEnvironment(ctx, input.environment);
  const adminRef = { name: adminSecretName(ctx, input.name), environment: input.environment };
  const adminPin = ctx.pins.get(adminRef);
  if (!adminPin) {
    throw new ProdguardError(
      'PRODGUARD_SECRET_ADMIN_MISSING',
      `The admin connection secret ${adminRef.name} has no pinned version in ${input.environment}.`,
      {
        kind: 'usage',
        hint: `Add it first: prodguard secrets add ${adminRef.name} --env ${input.environment} --kind external --from-file <file> (a URL for a role with CREATEROLE).`,
      },
    );
  }
  const adminUrl = await ctx.vault.accessVersion(adminRef, adminPin.version);
  ctx.knownSecrets.add(adminUrl);
  const group = groupRoleOf(ctx);
  const members = memberRolesOf(ctx);
  const ref = { name: input.name, environment: input.environment };
  const existing = await ctx.vault.getSecret(ref);
  if (existing && existing.kind !== 'postgres') {
    throw new ProdguardError(
      'PRODGUARD_SECRET_KIND_MISMATCH',
      `${input.name} in ${input.environment} is a ${existing.kind} secret, not postgres.`,
      {
        kind: 'usage',
      },
    );
  }
  const { value } = await runAudited(
    ctx.audit,
    {
      actor: ctx.actor,
      environment: input.environment,
      action: 'secrets.setup-roles',
      target: input.name,
      details: { group, members },
    },
    () => createRoles(ctx, input, deps, { adminUrl, group, members, existing: existing !== undefined }),
    (result) => ({ details: { created: result.created, addedVersion: result.addedVersion ?? null } }),
  );
  return { group, members, ...value };
}

async function createRoles(
  ctx: SecretsContext,
  input: SetupRolesInput,
  deps: { postgres: PostgresRoleAdmin },
  facts: { adminUrl: string; group: string; members: [string, string]; existing: boolean },
): Promise<{ created: string[]; addedVersion?: number }> {
  const { adminUrl, group, members } = facts;
  const passwords = members.map(() => generatePassword());
  for (const p of passwords) ctx.knownSecrets.add(p);
  const created = await deps.postgres.setupRoles(
    adminUrl,
    group,
    members.map((role, i) => ({ role, password: passwords[i]! })),
  );
  let addedVersion: number | undefined;
  if (!facts.existing) {
    // The first member's password is only known here; if the role already existed, set it to match.
    if (!created.includes(members[0])) await deps.postgres.setPassword(adminUrl, members[0], passwords[0]!);
    const added = await addSecretVersion(ctx, {
      name: input.name,
      environment: input.environment,
      kind: 'postgres',
      value: withCredentials(adminUrl, members[0], passwords[0]!),
      via: 'secrets.setup-roles',
    });
    addedVersion = added.version.version;
  }
  return { created, ...(addedVersion !== undefined ? { addedVersion } : {}) };
}
