import type { RotationStrategy } from './rotation-journal.js';
import type { SecretPin } from './secret-pins.js';
import type { SecretKind, SecretVersionInfo } from './secret-vault.js';

export interface RotationPlanInput {
  name: string;
  environment: string;
  kind: SecretKind;
  requested?: RotationStrategy | undefined;
  versions: readonly SecretVersionInfo[];
  pin: SecretPin | undefined;
  /** The two alternating login roles, `<group>_a` and `<group>_b`. */
  members: readonly [string, string];
  /** Versions running revisions use; undefined when no platform can be asked. */
  runningVersions: readonly number[] | undefined;
  /** The operator confirmed the previously pinned version is no longer running (no platform to ask). */
  previousRetired: boolean;
  /** A deploy pipeline is connected to roll the service. */
  canRollout: boolean;
}

export interface RotationPlan {
  strategy: RotationStrategy;
  fromVersion: number | null;
  /** The role whose password changes: the standby member (alternating) or the only user (single-user). */
  role: string | null;
  refusals: string[];
  notes: string[];
}

function roleOf(versions: readonly SecretVersionInfo[], version: number): string | undefined {
  const role = versions.find((v) => v.version === version)?.metadata.role;
  return typeof role === 'string' ? role : undefined;
}

/**
 * Pure: how a rotation would go and every reason it must not start. The alternating strategy changes the
 * password of the member role that the pinned version does not use, so it refuses while any running revision
 * (or, without a platform to ask, the previously pinned version) still logs in as that role: that revision
 * would lose its database the next time its pool opens a connection.
 */
export function planRotation(input: RotationPlanInput): RotationPlan {
  const refusals: string[] = [];
  const notes: string[] = [];
  const strategy: RotationStrategy =
    input.requested ?? (input.kind === 'postgres' ? 'alternating' : 'regenerate');
  const fromVersion = input.pin?.version ?? null;
  if (input.kind === 'external') {
    refusals.push(
      `${input.name} is an external secret (an API key issued by a provider): prodguard cannot generate it. Add the new value with \`prodguard secrets add ${input.name} --env ${input.environment}\` and pin it`,
    );
    return { strategy, fromVersion, role: null, refusals, notes };
  }
  if (input.kind === 'random' && strategy !== 'regenerate') {
    refusals.push(`--strategy ${strategy} applies to postgres secrets; ${input.name} is a random secret`);
  }
  if (input.kind === 'postgres' && strategy === 'regenerate') {
    refusals.push(`${input.name} is a postgres secret: use --strategy alternating or single-user`);
  }
  if (fromVersion === null) {
    refusals.push(
      `${input.name} has no pinned version in ${input.environment}: add one first (or run secrets setup-roles)`,
    );
    return { strategy, fromVersion, role: null, refusals, notes };
  }
  const pinnedRole = roleOf(input.versions, fromVersion);
  let role: string | null = null;
  if (strategy === 'alternating') {
    const [a, b] = input.members;
    role = pinnedRole === a ? b : a;
    if (pinnedRole !== a && pinnedRole !== b) {
      notes.push(
        `v${fromVersion} logs in as ${pinnedRole ?? 'an unknown role'}, not ${a} or ${b}; after this rotation the app logs in as ${role}`,
      );
    }
    const candidates =
      input.runningVersions ??
      (input.previousRetired ? [] : input.pin?.previousVersion ? [input.pin.previousVersion] : []);
    for (const v of [...new Set(candidates)]) {
      if (v === fromVersion || roleOf(input.versions, v) !== role) continue;
      refusals.push(
        input.runningVersions
          ? `v${v} (role ${role}) is still used by a running revision in ${input.environment}; rotating would overwrite that role's password. Roll out v${fromVersion} first`
          : `v${v} (role ${role}) was pinned before v${fromVersion} and no platform can confirm that no revision still runs with it; rotating would overwrite that role's password. Deploy ${input.environment} so it runs v${fromVersion}, then pass --previous-retired`,
      );
    }
  } else if (strategy === 'single-user') {
    role = pinnedRole ?? null;
    if (!role)
      refusals.push(
        `v${fromVersion} is not a postgres URL with a user name: cannot tell which role to change`,
      );
    if (!input.canRollout) {
      refusals.push(
        'the single-user protocol changes the password that running revisions use, so it needs the deploy pipeline to roll them first; none is connected',
      );
    }
  }
  if (!input.canRollout && strategy !== 'single-user') {
    notes.push(
      `no deploy pipeline is connected: the new version is pinned and revisions pick it up at the next deploy of ${input.environment}`,
    );
  }
  return { strategy, fromVersion, role, refusals, notes };
}
