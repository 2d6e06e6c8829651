import type { RolloutResult, ServiceRoller } from '../secrets/index.js';
import type { EnvironmentLock } from '../store/index.js';
import type { Workspace } from '../workspace/index.js';
import { effectiveTraffic } from './apply-traffic.js';
import { DeployEvents } from './deploy-events.js';
import { openPipeline } from './open-pipeline.js';
import { OperationRunner } from './operation-runner.js';
import type { PipelineConfig, PipelineDeps } from './pipeline-deps.js';
import { type DeployParams, executeDeploy } from './run-deploy.js';

export interface SecretsRolloutRequest {
  environment: string;
  /** Secret name → version every new revision must run with (merged over the serving revision's pins). */
  pins: Record<string, number>;
}

/**
 * A new revision of the release the environment serves now, with new pinned secret versions, through the
 * same journaled steps as a deploy: ready, smoke, 100 %, watch (breach → back to the previous revision),
 * retire. Called by `secrets rotate`, which already holds the environment lock: this does not take it.
 */
export async function runSecretsRollout(
  config: PipelineConfig,
  request: SecretsRolloutRequest,
  deps: PipelineDeps,
): Promise<RolloutResult> {
  const service = await deps.platform.getService(request.environment);
  const traffic = effectiveTraffic(service);
  const stable = [...traffic].sort((a, b) => b.percent - a.percent)[0]?.revision;
  if (!stable)
    return { ok: false, error: `${request.environment} serves no revision to roll the new pins into` };
  const current = await deps.platform.getRevision(request.environment, stable);
  const versions = { ...current.secretVersions, ...request.pins };
  const params: DeployParams = {
    commit: current.release.commit,
    digest: current.release.digest,
    strategy: 'all-at-once',
    steps: [100],
    watchMs: config.watch,
    stableRevision: stable,
    note: `secrets rollout: ${Object.entries(request.pins)
      .map(([name, v]) => `${name} v${v}`)
      .join(', ')}`,
    secrets: Object.fromEntries(
      Object.entries(versions).map(([name, version]) => [name, { version, envVar: name }]),
    ),
  };
  const op = deps.store.createOperation({
    environment: request.environment,
    kind: 'deploy',
    actor: deps.actor,
    params: { ...params, secretsRollout: true },
    trafficBefore: traffic,
  });
  // The caller holds the environment lock and keeps it alive; this operation borrows it.
  const borrowed: EnvironmentLock = {
    environment: request.environment,
    token: 'held-by-caller',
    heartbeat: () => true,
    release: () => {},
  };
  const result = await executeDeploy(
    config,
    op,
    deps,
    new OperationRunner(op, deps.store, deps.events, deps.clock, borrowed),
  );
  return result.outcome === 'success'
    ? { ok: true, ...(result.revision ? { revision: result.revision } : {}) }
    : { ok: false, error: result.message, ...(result.revision ? { revision: result.revision } : {}) };
}

/** The secrets domain's ServiceRoller over the local agent, for `secrets rotate` (see src/cli/commands/secrets.ts). */
export function createSecretsServiceRoller(ws: Workspace): ServiceRoller {
  return {
    async rollout(environment, pins) {
      const pipeline = await openPipeline(ws, { events: new DeployEvents() });
      try {
        return await runSecretsRollout(pipeline.config, { environment, pins }, pipeline.deps);
      } finally {
        await pipeline.close();
      }
    },
  };
}
