import { isProdguardError } from '../kernel/errors.js';
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
  if (!stable) {
    // Nothing serves: no revision holds the previous credentials, and the next deploy starts with the new pins.
    const running = (await deps.platform.listRevisions(request.environment)).some(
      (r) => r.state !== 'stopped' && r.state !== 'failed',
    );
    return { ok: true, skipped: `${request.environment} serves no revision yet`, previousRetired: !running };
  }
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
      let pipeline: Awaited<ReturnType<typeof openPipeline>> | undefined;
      try {
        pipeline = await openPipeline(ws, { events: new DeployEvents() });
        return await runSecretsRollout(pipeline.config, { environment, pins }, pipeline.deps);
      } catch (error) {
        // No agent: no revision is running here now. A revision an agent restarts later keeps the version
        // it was pinned to, so the previous version is not marked retired.
        if (isProdguardError(error) && error.code === 'PRODGUARD_PLATFORM_AGENT_DOWN') {
          return { ok: true, skipped: 'the local platform is not running (prodguard up)' };
        }
        throw error;
      } finally {
        await pipeline?.close();
      }
    },
  };
}
