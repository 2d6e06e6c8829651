import { runAudited } from '../audit/run-audited.js';
import { assertEnvironment } from '../config/index.js';
import { ProdguardError } from '../kernel/errors.js';
import { describeVersion, versionNotFound } from './local-secret-vault.js';
import { purgeDueVersions } from './purge-due-versions.js';
import type { SecretPin } from './secret-pins.js';
import type { SecretVersionInfo } from './secret-vault.js';
import { requireSecret, type SecretsContext } from './secrets-context.js';
import type { RunningRevision } from './secrets-ports.js';

export interface DestroyPlanInput {
  versions: readonly SecretVersionInfo[];
  version: number;
  pin: SecretPin | undefined;
  /** Running revisions that use this version; undefined when no platform could be asked. */
  runningUsers: readonly RunningRevision[] | undefined;
  /** Rotations in progress that still need this version. */
  activeRotations: readonly string[];
  minEnabledVersions: number;
}

export interface DestroyPlan {
  allowed: boolean;
  refusals: string[];
  warnings: string[];
}

/** Pure: may this version be destroyed? Every reason it may not is listed. */
export function planDestroy(input: DestroyPlanInput): DestroyPlan {
  const refusals: string[] = [];
  const warnings: string[] = [];
  const target = input.versions.find((v) => v.version === input.version);
  if (target?.state === 'destroyed') refusals.push('it is already destroyed');
  const otherEnabled = input.versions.filter(
    (v) => v.state === 'enabled' && v.version !== input.version,
  ).length;
  if (otherEnabled < input.minEnabledVersions) {
    refusals.push(
      `it would leave ${otherEnabled} enabled version${otherEnabled === 1 ? '' : 's'}; at least ${input.minEnabledVersions} must remain (seed §7: keep 3 versions minimum)`,
    );
  }
  if (input.pin?.version === input.version) refusals.push(`it is pinned in ${input.pin.environment}`);
  if (input.pin?.previousVersion === input.version) {
    refusals.push(`it is the version a failed rollout in ${input.pin.environment} would re-pin`);
  }
  for (const r of input.runningUsers ?? []) refusals.push(`running revision ${r.revision} uses it`);
  for (const id of input.activeRotations) refusals.push(`rotation ${id} is still in progress with it`);
  if (input.runningUsers === undefined) {
    warnings.push('running revisions were not checked: no platform is reachable');
  }
  return { allowed: refusals.length === 0, refusals, warnings };
}

export interface DestroySecretVersionInput {
  name: string;
  environment: string;
  version: number;
}

export interface DestroySecretVersionResult {
  version: SecretVersionInfo;
  destroyAfter: string;
  warnings: string[];
}

/** Schedules destruction after the configured grace period; `secrets enable` cancels it meanwhile. */
export async function destroySecretVersion(
  ctx: SecretsContext,
  input: DestroySecretVersionInput,
): Promise<DestroySecretVersionResult> {
  assertEnvironment(ctx.config, input.environment);
  const ref = { name: input.name, environment: input.environment };
  await requireSecret(ctx, ref);
  await purgeDueVersions(ctx);
  const versions = await ctx.vault.listVersions(ref);
  if (!versions.some((v) => v.version === input.version)) throw versionNotFound(ref, input.version);
  const runningUsers = ctx.running
    ? (await ctx.running.list(input.environment)).filter(
        (r) => r.secretVersions[input.name] === input.version,
      )
    : undefined;
  const activeRotations = ctx.store.db
    .prepare<[string, string, number, number], { id: string }>(
      // A running rotation still needs the version it started from and the one it added (journaled by add-version).
      `SELECT o.id FROM operations o WHERE o.kind = 'secrets-rotation' AND o.subject = ? AND o.environment = ?
         AND o.status = 'running' AND (json_extract(o.params, '$.fromVersion') = ? OR EXISTS (
           SELECT 1 FROM operation_steps s WHERE s.operation_id = o.id AND s.step = 'add-version'
             AND s.phase = 'succeeded' AND json_extract(s.data, '$.toVersion') = ?))`,
    )
    .all(input.name, input.environment, input.version, input.version)
    .map((r) => r.id);
  const plan = planDestroy({
    versions,
    version: input.version,
    pin: ctx.pins.get(ref),
    runningUsers,
    activeRotations,
    minEnabledVersions: ctx.config.secrets.minEnabledVersions,
  });
  const target = `${input.name} v${input.version}`;
  if (!plan.allowed) {
    ctx.audit.append({
      actor: ctx.actor,
      environment: input.environment,
      action: 'secrets.destroy',
      target,
      outcome: 'refused',
      details: { refusals: plan.refusals },
    });
    throw new ProdguardError(
      'PRODGUARD_SECRET_DESTROY_REFUSED',
      `Refusing to destroy ${describeVersion(ref, input.version)}:\n${plan.refusals.map((r) => `  - ${r}`).join('\n')}`,
      {
        kind: 'refused',
        hint: 'Add and pin newer versions first (prodguard secrets rotate), or disable the version instead of destroying it.',
        details: { refusals: plan.refusals },
      },
    );
  }
  const destroyAfter = new Date(ctx.clock.nowMs() + ctx.config.secrets.destroyGracePeriod);
  const { value: version } = await runAudited(
    ctx.audit,
    {
      actor: ctx.actor,
      environment: input.environment,
      action: 'secrets.destroy',
      target,
      details: {
        name: input.name,
        version: input.version,
        destroyAfter: destroyAfter.toISOString(),
        warnings: plan.warnings,
      },
    },
    () => ctx.vault.scheduleDestroy(ref, input.version, destroyAfter),
  );
  return { version, destroyAfter: destroyAfter.toISOString(), warnings: plan.warnings };
}
