import { ProdguardError } from '../kernel/errors.js';
import type { TrafficTarget } from '../platform/index.js';
import { withEnvironmentLock } from '../store/index.js';
import { applyTraffic, effectiveTraffic } from './apply-traffic.js';
import { readDeploySettings } from './deploy-settings.js';
import type { OperationRecord } from './deploy-store.js';
import { OperationRunner, type StepResult } from './operation-runner.js';
import { assertEnvironment, type PipelineConfig, type PipelineDeps } from './pipeline-deps.js';

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
    deps.store.stateStore,
    {
      environment: request.environment,
      operation: 'rollback',
      owner: deps.actor,
      clock: deps.clock,
      waitMs: request.lockWaitMs ?? settings.lockWait ?? 0,
      ...(deps.lockTtlMs ? { ttlMs: deps.lockTtlMs } : {}),
    },
    async (lock) => {
      // An interrupted deploy does not block the way out; the rollback supersedes it.
      const superseded: string[] = [];
      for (const op of deps.store.runningOperations(request.environment)) {
        const journal = deps.store.readJournal(op.id);
        deps.events.emit('operation:interrupted-found', {
          environment: request.environment,
          operationId: op.id,
          kind: op.kind,
          step: journal[journal.length - 1]?.step,
        });
        if (op.state.revision) {
          deps.store.recordVerdict({
            environment: op.environment,
            revision: op.state.revision as string,
            verdict: 'rolled-back',
            digest: String(op.params.digest ?? ''),
            commit: String(op.params.commit ?? ''),
            operationId: op.id,
            details: { supersededBy: 'rollback' },
          });
        }
        deps.store.finishOperation(op.id, 'aborted', 'superseded by a rollback');
        superseded.push(op.id);
      }
      const service = await deps.platform.getService(request.environment);
      const current = effectiveTraffic(service);
      const target = await pickTarget(request, current, deps);
      const op = deps.store.createOperation({
        environment: request.environment,
        kind: 'rollback',
        actor: deps.actor,
        params: {
          to: target,
          explicit: Boolean(request.to),
          ...(request.reason ? { reason: request.reason } : {}),
        },
        trafficBefore: current,
      });
      const runner = new OperationRunner(op, deps.store, deps.events, deps.clock, lock);
      return { ...(await executeRollback(config, op, deps, runner)), superseded };
    },
  );
}

async function pickTarget(
  request: RollbackRequest,
  current: TrafficTarget[],
  deps: PipelineDeps,
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
  op: OperationRecord,
  deps: PipelineDeps,
  runner: OperationRunner,
): Promise<Omit<RollbackResult, 'superseded'>> {
  const target = String(op.params.to);
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
      return {};
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
  const judged = op.params.explicit ? [] : op.trafficBefore;
  for (const t of judged) {
    if (t.revision === target) continue;
    const verdicts = deps.store.latestVerdicts(environment).find((v) => v.revision === t.revision);
    const rev = await deps.platform.getRevision(environment, t.revision).catch(() => undefined);
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
  deps.store.finishOperation(op.id, 'succeeded');
  const message = `${environment} is serving 100 % from ${target}.`;
  deps.events.emit('operation:finished', {
    operationId: op.id,
    environment,
    kind: 'rollback',
    outcome: 'success',
    elapsedMs: runner.elapsed(),
    message,
    target,
    ...(typeof op.params.reason === 'string' ? { reason: op.params.reason } : {}),
  });
  return {
    operationId: op.id,
    environment,
    from: op.trafficBefore,
    to: target,
    steps: runner.results(ROLLBACK_STEPS),
    message,
  };
}
