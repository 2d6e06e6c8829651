import {
  type CloudRunEnvironmentBinding,
  type CloudRunPlatform,
  cloudSqlRoleAdmin,
  type PlannedStep,
  type PlanTransport,
  planCloudRunDeploy,
  planCloudRunMaintenance,
  planCloudRunRollback,
  planCloudSqlRotation,
  SecretManagerVault,
} from '../gcp/index.js';
import { UsageError } from '../kernel/errors.js';
import { peekRelease } from '../platform/index.js';
import { pgRoleAdmin, SecretPins } from '../secrets/index.js';
import type { Workspace } from '../workspace/index.js';
import { readDeploySettings } from './deploy-settings.js';
import { DeployStore } from './deploy-store.js';
import { toolSecretFilter } from './open-pipeline.js';
import { type DeployStrategy, planCanarySteps } from './plan-canary-steps.js';
import { DEFAULT_MAINTENANCE_MESSAGE } from './run-maintenance.js';
import { pickRollbackTarget } from './run-rollback.js';

/** A Cloud Run platform whose transport records writes and makes none. */
export interface PlanTarget {
  platform: CloudRunPlatform;
  transport: PlanTransport;
}

/**
 * The calls of `deploy <env> --plan`: the release resolved as the deploy resolves it, the canary steps
 * from the same settings, the secrets pinned today (tool credentials excluded, as on a real deploy).
 */
export async function planDeployCalls(
  ws: Workspace,
  target: PlanTarget,
  request: { environment: string; commit?: string; strategy?: DeployStrategy; steps?: number[] },
): Promise<PlannedStep[]> {
  const settings = readDeploySettings(ws.config);
  const release = await peekRelease({
    commit: request.commit ?? 'HEAD',
    repoDir: ws.config.root,
    artifactsDir: ws.paths.artifacts,
    processes: ws.processes,
  });
  const secrets = new SecretPins(ws.store, ws.clock).revisionSecrets(
    request.environment,
    toolSecretFilter(ws),
  );
  return planCloudRunDeploy(target.platform, target.transport, {
    environment: request.environment,
    commit: release.commit,
    ...(release.digest ? { digest: release.digest } : {}),
    canarySteps: planCanarySteps(request.strategy ?? settings.strategy, request.steps ?? settings.steps),
    ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
  });
}

/** The calls of `rollback <env> --plan`, to the same target a real rollback would pick. */
export async function planRollbackCalls(
  ws: Workspace,
  target: PlanTarget,
  request: { environment: string; to?: string },
): Promise<PlannedStep[]> {
  const current = (await target.platform.getService(request.environment)).traffic;
  const to = await pickRollbackTarget(request, current, {
    platform: target.platform,
    store: new DeployStore(ws.store, ws.clock),
  });
  return planCloudRunRollback(target.platform, target.transport, { environment: request.environment, to });
}

/** The calls of `maintenance on|off <env> --plan`. */
export function planMaintenanceCalls(
  target: PlanTarget,
  request: { environment: string; on: boolean; message?: string; until?: string },
): Promise<PlannedStep[]> {
  return planCloudRunMaintenance(target.platform, target.transport, {
    environment: request.environment,
    settings: request.on
      ? {
          message: request.message ?? DEFAULT_MAINTENANCE_MESSAGE,
          ...(request.until ? { until: request.until } : {}),
        }
      : null,
  });
}

/**
 * The calls of a Cloud SQL password rotation (`secrets rotate NAME --env E --plan`, `gcp plan rotate`):
 * users.update, the Secret Manager version, the rollout of a revision pinned to it.
 */
export async function planRotationCalls(
  ws: Workspace,
  target: PlanTarget & { binding: CloudRunEnvironmentBinding },
  request: { environment: string; secret: string; role: string; commit?: string },
): Promise<PlannedStep[]> {
  const b = target.binding;
  if (!b.sqlInstance)
    throw new UsageError(
      'PRODGUARD_GCP_NOT_CONFIGURED',
      `Environment ${request.environment} has no platform.sqlInstance.`,
      {
        hint: 'Name its Cloud SQL instance in environments.<env>.platform.sqlInstance.',
      },
    );
  // An explicit --commit is the image tag as given (as in `gcp plan rotate`); the default is HEAD.
  const commit =
    request.commit ??
    (
      await peekRelease({
        commit: 'HEAD',
        repoDir: ws.config.root,
        artifactsDir: ws.paths.artifacts,
        processes: ws.processes,
      })
    ).commit;
  const transport = target.transport;
  return planCloudSqlRotation(
    {
      platform: target.platform,
      transport,
      clock: ws.clock,
      vault: new SecretManagerVault({ transport, clock: ws.clock, project: b.project }),
      roles: cloudSqlRoleAdmin({
        transport,
        clock: ws.clock,
        instance: { project: b.project, instance: b.sqlInstance },
        login: (url) => pgRoleAdmin.tryLogin(url),
        sqlAdmin: pgRoleAdmin,
      }),
    },
    { environment: request.environment, secret: request.secret, role: request.role, commit },
  );
}
