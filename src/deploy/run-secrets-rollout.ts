import { differentRuntime, runtimeCheckName } from '../config/runtime-fingerprint.js';
import { isProdguardError } from '../kernel/errors.js';
import { endOperation, type OperationRecord, OperationRunner } from '../operations/index.js';
import type { ReleaseRef } from '../platform/index.js';
import type { RolloutResult, RunningRevision, ServiceRoller } from '../secrets/index.js';
import type { EnvironmentLock } from '../store/index.js';
import type { Workspace } from '../workspace/index.js';
import { effectiveTraffic } from './apply-traffic.js';
import { DeployEvents } from './deploy-events.js';
import type { DeployParams } from './deploy-operation-kinds.js';
import { openPipeline } from './open-pipeline.js';
import type { PipelineConfig, PipelineDeps } from './pipeline-deps.js';
import { executeDeploy, markRevision, restoreTrafficBefore } from './run-deploy.js';

export interface SecretsRolloutRequest {
  environment: string;
  /** Secret name → version every new revision must run with (merged over the serving revision's pins). */
  pins: Record<string, number>;
  /** The rotation this rollout belongs to: the deploy is journaled as its child operation. */
  parentId: string;
}

/** The caller (a rotation) holds the environment lock and keeps it alive; its child borrows it. */
function borrowedLock(environment: string): EnvironmentLock {
  return { environment, token: 'held-by-parent', heartbeat: () => true, release: () => {} };
}

function runningChild(deps: PipelineDeps, parentId: string): OperationRecord<'deploy'> | undefined {
  const child = deps.ops.children(parentId).find((op) => op.kind === 'deploy' && op.status === 'running');
  return child ? deps.ops.get(child.id, 'deploy') : undefined;
}

/**
 * A rollout starts the serving release again with today's configuration. Where the environment requires
 * another (production after staging), the release must have been verified there the same way: otherwise a
 * changed app.start would reach production through a password rotation without ever running on staging.
 */
function unverifiedRuntime(
  config: PipelineConfig,
  environment: string,
  release: ReleaseRef,
  deps: PipelineDeps,
): string | undefined {
  const requires = config.environments[environment]?.requires;
  if (!requires) return undefined;
  const runtime = runtimeCheckName(config.app);
  const { verification } = deps.store.standingVerification(requires, release.digest);
  const verified = verification ? differentRuntime(verification.checks, runtime) : undefined;
  if (!verified) return undefined;
  return `the release ${environment} serves (commit ${release.commit.slice(0, 12)}) was verified on ${requires} as ${verified}, but prodguard.yaml now runs it as ${runtime} (app.start, app.build, app.healthPath or app.env changed): a rollout would start it on ${environment} in a way ${requires} never ran. Deploy it to ${requires} with this configuration first (prodguard deploy ${requires} --commit ${release.commit.slice(0, 12)}), or restore prodguard.yaml, and rotate again.`;
}

/**
 * A new revision of the release the environment serves now, with new pinned secret versions, through the
 * same journaled steps as a deploy: ready, smoke, 100 %, watch (breach → back to the previous revision),
 * retire. It is a child operation of the rotation, so `resume` and `abort` of the rotation reach it.
 */
export async function runSecretsRollout(
  config: PipelineConfig,
  request: SecretsRolloutRequest,
  deps: PipelineDeps,
): Promise<RolloutResult> {
  let op = runningChild(deps, request.parentId);
  if (!op) {
    const service = await deps.platform.getService(request.environment);
    const traffic = effectiveTraffic(service);
    const stable = [...traffic].sort((a, b) => b.percent - a.percent)[0]?.revision;
    if (!stable) {
      // Nothing serves: no revision holds the previous credentials, and the next deploy starts with the new pins.
      const running = (await deps.platform.listRevisions(request.environment)).some(
        (r) => r.state !== 'stopped' && r.state !== 'failed',
      );
      return {
        ok: true,
        skipped: `${request.environment} serves no revision yet`,
        previousRetired: !running,
      };
    }
    const current = await deps.platform.getRevision(request.environment, stable);
    const refusal = unverifiedRuntime(config, request.environment, current.release, deps);
    if (refusal) return { ok: false, error: refusal };
    const versions = { ...current.secretVersions, ...request.pins };
    const params: DeployParams = {
      commit: current.release.commit,
      digest: current.release.digest,
      strategy: 'all-at-once',
      steps: [100],
      watchMs: config.watch,
      stableRevision: stable,
      trafficBefore: traffic,
      note: `secrets rollout: ${Object.entries(request.pins)
        .map(([name, v]) => `${name} v${v}`)
        .join(', ')}`,
      secrets: Object.fromEntries(
        Object.entries(versions).map(([name, version]) => [name, { version, envVar: name }]),
      ),
    };
    op = deps.ops.begin({
      kind: 'deploy',
      environment: request.environment,
      actor: deps.actor,
      params,
      state: {},
      parentId: request.parentId,
      subject: current.release.commit,
      audit: {
        action: 'deploy',
        target: current.release.commit,
        reason: params.note,
        details: { parentOperationId: request.parentId, strategy: params.strategy, watchMs: params.watchMs },
      },
    }).op;
  }
  const result = await executeDeploy(
    config,
    op,
    deps,
    new OperationRunner(op, deps.ops, deps.events, borrowedLock(request.environment)),
  );
  return result.outcome === 'success'
    ? { ok: true, ...(result.revision ? { revision: result.revision } : {}) }
    : { ok: false, error: result.message, ...(result.revision ? { revision: result.revision } : {}) };
}

/** Undoes an interrupted child rollout: exactly the traffic it found, its new revision marked rolled back. */
export async function abortSecretsRollout(
  config: PipelineConfig,
  parentId: string,
  deps: PipelineDeps,
): Promise<{ message: string; serving: RunningRevision[] }> {
  const op = runningChild(deps, parentId);
  if (!op)
    return { message: 'no rollout was in progress', serving: await servingRevisions(deps, config, parentId) };
  const restored = await restoreTrafficBefore(config, op, deps);
  markRevision(deps, op, 'rolled-back', { reason: 'its rotation was aborted', aborted: true });
  const message = `Aborted rollout ${op.id}; ${restored}.`;
  endOperation(deps.ops, deps.events, op, 'aborted', { message, elapsedMs: 0, error: 'rotation aborted' });
  return { message, serving: await servingRevisions(deps, config, parentId) };
}

/** The revisions traffic goes to now, with the secret versions each was started with. */
async function servingRevisions(
  deps: PipelineDeps,
  config: PipelineConfig,
  parentId: string,
): Promise<RunningRevision[]> {
  const environment = deps.ops.get(parentId)?.environment;
  if (!environment || !config.environments[environment]) return [];
  const service = await deps.platform.getService(environment);
  return Promise.all(
    effectiveTraffic(service).map(async (t) => ({
      revision: t.revision,
      secretVersions: (await deps.platform.getRevision(environment, t.revision)).secretVersions,
    })),
  );
}

/** The secrets domain's ServiceRoller over the local agent, for `secrets rotate`. */
export function createSecretsServiceRoller(ws: Workspace): ServiceRoller {
  const withPipeline = async <T>(
    skipped: T,
    fn: (pipeline: Awaited<ReturnType<typeof openPipeline>>) => Promise<T>,
  ): Promise<T> => {
    let pipeline: Awaited<ReturnType<typeof openPipeline>> | undefined;
    try {
      pipeline = await openPipeline(ws, { events: new DeployEvents(ws.log) });
      return await fn(pipeline);
    } catch (error) {
      // No agent: no revision is running here now. A revision an agent restarts later keeps the version
      // it was pinned to, so the previous version is not marked retired.
      if (isProdguardError(error) && error.code === 'PRODGUARD_PLATFORM_AGENT_DOWN') return skipped;
      throw error;
    } finally {
      await pipeline?.close();
    }
  };
  return {
    rollout: (environment, pins, parent) =>
      withPipeline<RolloutResult>(
        { ok: true, skipped: 'the local platform is not running (prodguard up)' },
        (p) => runSecretsRollout(p.config, { environment, pins, parentId: parent.operationId }, p.deps),
      ),
    abortRollout: (_environment, parent) =>
      withPipeline<{ message: string; serving?: RunningRevision[] }>(
        { message: 'the local platform is not running; no traffic to restore' },
        (p) => abortSecretsRollout(p.config, parent.operationId, p.deps),
      ),
  };
}
