import { assertEnvironment } from '../config/index.js';
import { ProdguardError } from '../kernel/errors.js';
import { endOperation, type OperationRecord, OperationRunner } from '../operations/index.js';
import { type EnvironmentLock, withEnvironmentLock } from '../store/index.js';
import { applyTraffic } from './apply-traffic.js';
import { readDeploySettings } from './deploy-settings.js';
import type { PipelineConfig, PipelineDeps } from './pipeline-deps.js';
import { type DeployResult, executeDeploy, markRevision, restoreTrafficBefore } from './run-deploy.js';
import { abortMaintenance, executeMaintenance, type MaintenanceResult } from './run-maintenance.js';
import { executeRollback, type RollbackResult } from './run-rollback.js';

export type PipelineResumeResult =
  | { kind: 'deploy'; operationId: string; result: DeployResult }
  | { kind: 'rollback'; operationId: string; result: Omit<RollbackResult, 'superseded'> }
  | { kind: 'maintenance'; operationId: string; result: MaintenanceResult };

export const PIPELINE_KINDS = ['deploy', 'rollback', 'maintenance'] as const;
export type PipelineKind = (typeof PIPELINE_KINDS)[number];

export function isPipelineOperation(op: OperationRecord): op is OperationRecord<PipelineKind> {
  return (PIPELINE_KINDS as readonly string[]).includes(op.kind);
}

function narrow<K extends PipelineKind>(
  deps: PipelineDeps,
  op: OperationRecord,
  kind: K,
): OperationRecord<K> {
  const typed = deps.ops.get(op.id, kind);
  if (!typed) throw new ProdguardError('PRODGUARD_OPERATION_NOT_FOUND', `No ${kind} operation ${op.id}.`);
  return typed;
}

/** Continues an interrupted deploy, rollback or maintenance from its first step not journaled as done. */
export async function resumePipelineOperation(
  config: PipelineConfig,
  op: OperationRecord,
  deps: PipelineDeps,
  lock: EnvironmentLock,
): Promise<PipelineResumeResult> {
  if (op.kind === 'rollback') {
    const rollback = narrow(deps, op, 'rollback');
    const runner = new OperationRunner(rollback, deps.ops, deps.events, lock);
    return {
      kind: 'rollback',
      operationId: op.id,
      result: await executeRollback(config, rollback, deps, runner),
    };
  }
  if (op.kind === 'maintenance') {
    const maintenance = narrow(deps, op, 'maintenance');
    const runner = new OperationRunner(maintenance, deps.ops, deps.events, lock);
    return {
      kind: 'maintenance',
      operationId: op.id,
      result: await executeMaintenance(maintenance, deps, runner),
    };
  }
  const deploy = narrow(deps, op, 'deploy');
  const runner = new OperationRunner(deploy, deps.ops, deps.events, lock);
  return { kind: 'deploy', operationId: op.id, result: await executeDeploy(config, deploy, deps, runner) };
}

/**
 * Undoes an interrupted deploy, rollback or maintenance: what it found is restored exactly (traffic on
 * revisions made ready first, maintenance as it was), and the operation is closed as aborted.
 */
export async function abortPipelineOperation(
  config: PipelineConfig,
  op: OperationRecord,
  deps: PipelineDeps,
): Promise<string> {
  let restored: string;
  if (op.kind === 'maintenance') {
    restored = await abortMaintenance(narrow(deps, op, 'maintenance'), deps);
  } else if (op.kind === 'rollback') {
    const rollback = narrow(deps, op, 'rollback');
    const before = rollback.params.trafficBefore;
    if (before.length > 0)
      await applyTraffic(deps.platform, op.environment, before, config.app.startupTimeout);
    restored = `traffic restored to ${before.map((t) => `${t.revision}=${t.percent}`).join(', ') || '(none)'}`;
  } else {
    const deploy = narrow(deps, op, 'deploy');
    restored = await restoreTrafficBefore(config, deploy, deps);
    const revision = deploy.state.revision;
    if (revision && !deploy.params.trafficBefore.some((t) => t.revision === revision)) {
      markRevision(deps, deploy, 'rolled-back', { reason: 'aborted after an interruption', aborted: true });
    }
  }
  const message = `Aborted ${op.kind} ${op.id}; ${restored}.`;
  endOperation(deps.ops, deps.events, op, 'aborted', {
    message,
    elapsedMs: 0,
    error: 'aborted after an interruption',
  });
  return message;
}

export interface AbortResult {
  operationId: string;
  environment: string;
  kind: string;
  interruptedAt: string | undefined;
  message: string;
}

function interruptedPipelineOperation(
  deps: PipelineDeps,
  environment: string,
  verb: string,
): OperationRecord {
  const op = deps.ops.running(environment).find(isPipelineOperation);
  if (!op) {
    throw new ProdguardError(
      'PRODGUARD_OPERATION_NOTHING_TO_RECOVER',
      `No interrupted deploy, rollback or maintenance on ${environment} to ${verb}.`,
      {
        kind: 'usage',
        hint: `prodguard operations --env ${environment} shows what ran; an operation in progress in another terminal holds the lock instead.`,
      },
    );
  }
  deps.events.emit('operation:interrupted-found', {
    environment,
    operationId: op.id,
    kind: op.kind,
    step: deps.ops.lastStep(op.id)?.step,
  });
  return op;
}

function pipelineLock(
  config: PipelineConfig,
  deps: PipelineDeps,
  environment: string,
  verb: string,
  waitMs?: number,
) {
  return {
    environment,
    operation: verb,
    owner: deps.actor,
    clock: deps.clock,
    waitMs: waitMs ?? readDeploySettings(config).lockWait ?? 0,
    ...(deps.lockTtlMs ? { ttlMs: deps.lockTtlMs } : {}),
  };
}

/** The pipeline's own resume of an environment (what `prodguard resume` runs for these kinds). */
export async function runResume(
  config: PipelineConfig,
  request: { environment: string; lockWaitMs?: number },
  deps: PipelineDeps,
): Promise<PipelineResumeResult> {
  assertEnvironment(config, request.environment);
  return withEnvironmentLock(
    deps.ops.stateStore,
    pipelineLock(config, deps, request.environment, 'resume', request.lockWaitMs),
    async (lock) =>
      resumePipelineOperation(
        config,
        interruptedPipelineOperation(deps, request.environment, 'resume'),
        deps,
        lock,
      ),
  );
}

/** The pipeline's own abort of an environment's interrupted deploy, rollback or maintenance. */
export async function runAbort(
  config: PipelineConfig,
  request: { environment: string; lockWaitMs?: number },
  deps: PipelineDeps,
): Promise<AbortResult> {
  assertEnvironment(config, request.environment);
  return withEnvironmentLock(
    deps.ops.stateStore,
    pipelineLock(config, deps, request.environment, 'abort', request.lockWaitMs),
    async () => {
      const op = interruptedPipelineOperation(deps, request.environment, 'abort');
      const interruptedAt = deps.ops.lastStep(op.id)?.step;
      const message = await abortPipelineOperation(config, op, deps);
      return { operationId: op.id, environment: op.environment, kind: op.kind, interruptedAt, message };
    },
  );
}
