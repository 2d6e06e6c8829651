import type { SecretsConfig } from '../config/sections/secrets.js';
import type { SecretPin } from './secret-pins.js';
import type { SecretInfo, SecretKind, SecretVersionInfo } from './secret-vault.js';
import type { SecretsContext } from './secrets-context.js';

export type RotationState = 'ok' | 'overdue' | 'way-overdue';

export interface SecretStatusRow {
  name: string;
  environment: string;
  kind: SecretKind;
  pinnedVersion: number | null;
  latestVersion: number | null;
  enabledVersions: number;
  /** When the version in use (pinned, else latest enabled) was created. */
  since: string | null;
  ageDays: number | null;
  rotationEveryDays: number;
  nextDue: string | null;
  state: RotationState;
  /** external secrets are reminders only: prodguard cannot rotate them. */
  rotatable: boolean;
  lastRotation: string | null;
}

const DAY = 86_400_000;

export interface SecretStatusInput {
  secret: SecretInfo;
  versions: readonly SecretVersionInfo[];
  pin: SecretPin | undefined;
  lastRotation?: string;
  now: Date;
  config: Pick<SecretsConfig, 'rotation' | 'wayOverdue'>;
}

/** Pure: age, due date and rotation state of one secret. */
export function planSecretStatus(input: SecretStatusInput): SecretStatusRow {
  const period = input.config.rotation[input.secret.kind];
  const enabled = input.versions.filter((v) => v.state === 'enabled');
  const current =
    input.versions.find((v) => v.version === input.pin?.version) ?? enabled[enabled.length - 1] ?? undefined;
  const since = current?.createdAt ?? null;
  const sinceMs = since ? new Date(since).getTime() : undefined;
  const nowMs = input.now.getTime();
  const dueMs = sinceMs !== undefined ? sinceMs + period : undefined;
  let state: RotationState = 'ok';
  if (dueMs !== undefined && nowMs > dueMs)
    state = nowMs > dueMs + input.config.wayOverdue ? 'way-overdue' : 'overdue';
  return {
    name: input.secret.name,
    environment: input.secret.environment,
    kind: input.secret.kind,
    pinnedVersion: input.pin?.version ?? null,
    latestVersion: input.versions.length ? input.versions[input.versions.length - 1]!.version : null,
    enabledVersions: enabled.length,
    since,
    ageDays: sinceMs !== undefined ? Math.floor((nowMs - sinceMs) / DAY) : null,
    rotationEveryDays: Math.round(period / DAY),
    nextDue: dueMs !== undefined ? new Date(dueMs).toISOString() : null,
    state,
    rotatable: input.secret.kind !== 'external',
    lastRotation: input.lastRotation ?? null,
  };
}

/** Rotation status of every secret (of one environment); reads only. Admin-connection secrets are listed like any other. */
export async function getSecretStatus(
  ctx: Pick<SecretsContext, 'vault' | 'pins' | 'clock' | 'config' | 'store'>,
  filter: { environment?: string } = {},
): Promise<SecretStatusRow[]> {
  // A read: it changes nothing. Values past their destruction time are erased by the mutating commands
  // and by `prodguard secrets purge`.
  const secrets = await ctx.vault.listSecrets(filter);
  const now = ctx.clock.now();
  const lastRotation = ctx.store.db.prepare<[string, string], { at: string | null }>(
    "SELECT MAX(finished_at) AS at FROM operations WHERE kind = 'secrets-rotation' AND subject = ? AND environment = ? AND status = 'succeeded'",
  );
  const rows: SecretStatusRow[] = [];
  for (const secret of secrets) {
    const ref = { name: secret.name, environment: secret.environment };
    const last = lastRotation.get(secret.name, secret.environment)?.at ?? undefined;
    rows.push(
      planSecretStatus({
        secret,
        versions: await ctx.vault.listVersions(ref),
        pin: ctx.pins.get(ref),
        ...(last ? { lastRotation: last } : {}),
        now,
        config: ctx.config.secrets,
      }),
    );
  }
  return rows;
}
