import { runAudited } from '../audit/run-audited.js';
import { assertEnvironment } from '../config/index.js';
import { ProdguardError } from '../kernel/errors.js';
import { addSecretVersion } from './add-secret-version.js';
import { type PostgresRoleAdmin, withCredentials } from './postgres-role-admin.js';
import { adminSecretName, groupRoleOf, memberRolesOf } from './rotation-rules.js';
import { generatePassword } from './scram-verifier.js';
import type { SecretsContext } from './secrets-context.js';

export interface SetupRolesInput {
  name: string;
  environment: string;
  /** Vault secret for the console's read-only login (database.readonlySecret); default DATABASE_URL_READONLY. */
  readonlySecret?: string;
}

export interface SetupRolesResult {
  group: string;
  members: [string, string];
  created: string[];
  /** Set when the secret had no version: v1 now logs in as the first member. */
  addedVersion?: number;
  /** The console's read-only login and the secret holding its URL. */
  readonly: { role: string; secret: string; created: boolean; addedVersion?: number; warnings: string[] };
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
  assertEnvironment(ctx.config, input.environment);
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
    (result) => ({
      details: {
        created: result.created,
        addedVersion: result.addedVersion ?? null,
        readonly: {
          role: result.readonly.role,
          created: result.readonly.created,
          addedVersion: result.readonly.addedVersion ?? null,
        },
      },
    }),
  );
  return { group, members, ...value };
}

async function createRoles(
  ctx: SecretsContext,
  input: SetupRolesInput,
  deps: { postgres: PostgresRoleAdmin },
  facts: { adminUrl: string; group: string; members: [string, string]; existing: boolean },
): Promise<Omit<SetupRolesResult, 'group' | 'members'>> {
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
  const readonly = await setupReadonlyLogin(ctx, input, adminUrl, group, deps);
  return { created, ...(addedVersion !== undefined ? { addedVersion } : {}), readonly };
}

/**
 * `<group>_readonly`: the login `prodguard sql` reads production with. Its URL is stored as a secret and
 * pinned; an existing role keeps its password unless the secret is missing or the role had to be created.
 */
async function setupReadonlyLogin(
  ctx: SecretsContext,
  input: SetupRolesInput,
  adminUrl: string,
  group: string,
  deps: { postgres: PostgresRoleAdmin },
): Promise<SetupRolesResult['readonly']> {
  const secret = input.readonlySecret ?? 'DATABASE_URL_READONLY';
  const role = `${group}_readonly`;
  const ref = { name: secret, environment: input.environment };
  const existing = await ctx.vault.getSecret(ref);
  const password = generatePassword();
  ctx.knownSecrets.add(password);
  const result = await deps.postgres.setupReadonlyRole(adminUrl, {
    role,
    password,
    owners: [group],
    resetPassword: !existing,
  });
  if (existing && !result.created) return { role, secret, created: false, warnings: result.warnings };
  const added = await addSecretVersion(ctx, {
    name: secret,
    environment: input.environment,
    kind: 'external',
    value: withCredentials(adminUrl, role, password),
    via: 'secrets.setup-roles',
  });
  if (!added.pinned) ctx.pins.set(ref, added.version.version, ctx.actor);
  return {
    role,
    secret,
    created: result.created,
    addedVersion: added.version.version,
    warnings: result.warnings,
  };
}
