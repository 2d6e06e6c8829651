import { assertEnvironment } from '../config/index.js';
import { isProdguardError, ProdguardError } from '../kernel/errors.js';
import { endOperation, type OperationRecord, OperationRunner, type StepResult } from '../operations/index.js';
import type { TrafficTarget } from '../platform/index.js';
import { withEnvironmentLock } from '../store/index.js';
import { applyTraffic, effectiveTraffic } from './apply-traffic.js';
import { readDeploySettings } from './deploy-settings.js';
import type { PipelineConfig, PipelineDeps } from './pipeline-deps.js';
import { markRevision } from './run-deploy.js';

export interface RollbackRequest {
  environment: string;
  /** A revision name; default: the newest known-good revision that is not serving everything now. */
  to?: string;
  reason?: string;
  lockWaitMs?: number;
}

export interface RollbackResult {
  operationId: string;
  environment: string;
  from: TrafficTarget[];
  to: string;
  steps: StepResult[];
  /** Interrupted operations this rollback closed. */
  superseded: string[];
  message: string;
}

const ROLLBACK_STEPS = ['start-target', 'wait-ready', 'switch'];

/**
 * `prodguard rollback <env>`: always allowed (no freeze, no staging-first: it is the way out). Restarts the
 * target if it was stopped, waits for it to be ready, then switches all traffic in one move.
 */
export async function runRollback(
  config: PipelineConfig,
  request: RollbackRequest,
  deps: PipelineDeps,
): Promise<RollbackResult> {
  assertEnvironment(config, request.environment);
  const settings = readDeploySettings(config);
  return withEnvironmentLock(
    deps.ops.stateStore,
    {
      environment: request.environment,
      operation: 'rollback',
      owner: deps.actor,
      clock: deps.clock,
      waitMs: request.lockWaitMs ?? settings.lockWait ?? 0,
      ...(deps.lockTtlMs ? { ttlMs: deps.lockTtlMs } : {}),
    },
    async (lock) => {
      // An interrupted deploy or rollback does not block the way out; the rollback supersedes it.
      const superseded: string[] = [];
      for (const op of deps.ops.running(request.environment)) {
        if (op.kind !== 'deploy' && op.kind !== 'rollback') continue;
        deps.events.emit('operation:interrupted-found', {
          environment: request.environment,
          operationId: op.id,
          kind: op.kind,
          step: deps.ops.lastStep(op.id)?.step,
        });
        const deploy = deps.ops.get(op.id, 'deploy');
        if (deploy) markRevision(deps, deploy, 'rolled-back', { supersededBy: 'rollback' });
        endOperation(deps.ops, deps.events, op, 'aborted', {
          message: `${op.kind} ${op.id} superseded by a rollback`,
          elapsedMs: 0,
          error: 'superseded by a rollback',
        });
        superseded.push(op.id);
      }
      const service = await deps.platform.getService(request.environment);
      const current = effectiveTraffic(service);
      const target = await pickRollbackTarget(request, current, deps);
      const { op } = deps.ops.begin({
        kind: 'rollback',
        environment: request.environment,
        actor: deps.actor,
        params: {
          to: target,
          explicit: Boolean(request.to),
          trafficBefore: current,
          ...(request.reason ? { reason: request.reason } : {}),
        },
        state: {},
        subject: target,
        audit: {
          action: 'rollback',
          target,
          reason: request.reason,
          details: { from: current },
        },
      });
      const runner = new OperationRunner(op, deps.ops, deps.events, lock);
      return { ...(await executeRollback(config, op, deps, runner)), superseded };
    },
  );
}

/** The revision a rollback returns to: `--to`, or the newest known-good one that does not serve 100 %. */
export async function pickRollbackTarget(
  request: Pick<RollbackRequest, 'environment' | 'to'>,
  current: readonly TrafficTarget[],
  deps: Pick<PipelineDeps, 'platform' | 'store'>,
): Promise<string> {
  const revisions = await deps.platform.listRevisions(request.environment);
  if (request.to) {
    if (!revisions.some((r) => r.name === request.to)) {
      throw new ProdguardError(
        'PRODGUARD_DEPLOY_NO_ROLLBACK_TARGET',
        `No revision ${request.to} in ${request.environment}.`,
        {
          kind: 'usage',
          hint: `Revisions: ${revisions.map((r) => r.name).join(', ') || '(none)'} (prodguard status ${request.environment}).`,
        },
      );
    }
    return request.to;
  }
  const fullyServing = current.length === 1 ? current[0]!.revision : undefined;
  const known = new Set(revisions.map((r) => r.name));
  const verdicts = deps.store.latestVerdicts(request.environment);
  const target = verdicts.find(
    (v) => v.verdict === 'known-good' && v.revision !== fullyServing && known.has(v.revision),
  );
  const servingIsKnownGood = verdicts.some((v) => v.revision === fullyServing && v.verdict === 'known-good');
  if (!target) {
    throw new ProdguardError(
      'PRODGUARD_DEPLOY_NO_ROLLBACK_TARGET',
      `${request.environment} has no known-good revision to roll back to${servingIsKnownGood ? ` other than ${fullyServing}, which already serves 100 %` : ''}.`,
      {
        kind: 'failed',
        hint: `Name one: prodguard rollback ${request.environment} --to <revision> (see prodguard status ${request.environment}).`,
      },
    );
  }
  return target.revision;
}

/** The rollback's journaled steps; also what `resume` runs for an interrupted rollback. */
export async function executeRollback(
  config: PipelineConfig,
  op: OperationRecord<'rollback'>,
  deps: PipelineDeps,
  runner: OperationRunner<'rollback'>,
): Promise<Omit<RollbackResult, 'superseded'>> {
  const target = op.params.to;
  const environment = op.environment;
  await runner.step(
    'start-target',
    async () => {
      const rev = await deps.platform.getRevision(environment, target);
      if (rev.state === 'stopped' || rev.state === 'failed')
        await deps.platform.startRevision(environment, target);
      return { state: rev.state };
    },
    (d) => (d.state === 'ready' ? `${target} was still running` : `${target} restarted (was ${d.state})`),
  );
  await runner.step(
    'wait-ready',
    async () => {
      // The way out is not cancelled by Ctrl-C: a half rollback helps nobody.
      await deps.platform.waitReady(environment, target, config.app.startupTimeout);
      return { revision: target };
    },
    () => `${target} ready`,
  );
  await runner.step(
    'switch',
    async () => {
      const service = await applyTraffic(
        deps.platform,
        environment,
        [{ revision: target, percent: 100 }],
        config.app.startupTimeout,
      );
      deps.events.emit('traffic:switched', {
        operationId: op.id,
        environment,
        traffic: service.traffic,
        reason: 'rollback',
      });
      return { traffic: service.traffic };
    },
    () => `100 % to ${target}`,
  );
  // An automatic pick says "what serves now is bad": mark it. `--to` is explicit navigation and judges nothing.
  const judged = op.params.explicit ? [] : op.params.trafficBefore;
  for (const t of judged) {
    if (t.revision === target) continue;
    const verdicts = deps.store.latestVerdicts(environment).find((v) => v.revision === t.revision);
    // A revision the platform no longer knows keeps the digest its last verdict recorded.
    const rev = await deps.platform.getRevision(environment, t.revision).catch((error: unknown) => {
      if (isProdguardError(error) && error.code === 'PRODGUARD_PLATFORM_REVISION_NOT_FOUND') return undefined;
      throw error;
    });
    deps.store.recordVerdict({
      environment,
      revision: t.revision,
      verdict: 'rolled-back',
      digest: rev?.release.digest ?? verdicts?.digest ?? '',
      commit: rev?.release.commit ?? verdicts?.commit ?? '',
      operationId: op.id,
      details: { rolledBackTo: target },
    });
  }
  const message = `${environment} is serving 100 % from ${target}.`;
  endOperation(deps.ops, deps.events, op, 'succeeded', {
    message,
    elapsedMs: runner.elapsed(),
    audit: { target, reason: op.params.reason },
  });
  return {
    operationId: op.id,
    environment,
    from: op.params.trafficBefore,
    to: target,
    steps: runner.results(ROLLBACK_STEPS),
    message,
  };
}
