import { ProdguardError } from '../kernel/errors.js';
import { withEnvironmentLock } from '../store/index.js';
import { readDeploySettings } from './deploy-settings.js';
import type { OperationRecord } from './deploy-store.js';
import { OperationRunner } from './operation-runner.js';
import { assertEnvironment, type PipelineConfig, type PipelineDeps } from './pipeline-deps.js';
import { type DeployResult, executeDeploy, restoreTrafficBefore } from './run-deploy.js';
import { executeRollback, type RollbackResult } from './run-rollback.js';

export type ResumeResult =
  | { kind: 'deploy'; operationId: string; result: DeployResult }
  | { kind: 'rollback'; operationId: string; result: Omit<RollbackResult, 'superseded'> };

export interface AbortResult {
  operationId: string;
  environment: string;
  kind: string;
  interruptedAt: string | undefined;
  message: string;
}

function interruptedOperation(deps: PipelineDeps, environment: string, command: string): OperationRecord {
  const op = deps.store.runningOperations(environment)[0];
  if (!op) {
    throw new ProdguardError(
      'PRODGUARD_DEPLOY_NOTHING_TO_RESUME',
      `No interrupted operation on ${environment} to ${command}.`,
      {
        kind: 'usage',
        hint: `prodguard status ${environment} shows what is running; an operation in progress in another terminal holds the lock instead.`,
      },
    );
  }
  const journal = deps.store.readJournal(op.id);
  deps.events.emit('operation:interrupted-found', {
    environment,
    operationId: op.id,
    kind: op.kind,
    step: journal[journal.length - 1]?.step,
  });
  return op;
}

/** `prodguard resume <env>`: continues the interrupted operation from its first step not journaled as done. */
export async function runResume(
  config: PipelineConfig,
  request: { environment: string; lockWaitMs?: number },
  deps: PipelineDeps,
): Promise<ResumeResult> {
  assertEnvironment(config, request.environment);
  const settings = readDeploySettings(config);
  return withEnvironmentLock(
    deps.store.stateStore,
    {
      environment: request.environment,
      operation: 'resume',
      owner: deps.actor,
      clock: deps.clock,
      waitMs: request.lockWaitMs ?? settings.lockWait ?? 0,
      ...(deps.lockTtlMs ? { ttlMs: deps.lockTtlMs } : {}),
    },
    async (lock) => {
      const op = interruptedOperation(deps, request.environment, 'resume');
      const runner = new OperationRunner(op, deps.store, deps.events, deps.clock, lock);
      if (op.kind === 'rollback') {
        return {
          kind: 'rollback',
          operationId: op.id,
          result: await executeRollback(config, op, deps, runner),
        };
      }
      return { kind: 'deploy', operationId: op.id, result: await executeDeploy(config, op, deps, runner) };
    },
  );
}

/** `prodguard abort <env>`: restores the traffic the interrupted operation found, exactly, and closes it. */
export async function runAbort(
  config: PipelineConfig,
  request: { environment: string; lockWaitMs?: number },
  deps: PipelineDeps,
): Promise<AbortResult> {
  assertEnvironment(config, request.environment);
  const settings = readDeploySettings(config);
  return withEnvironmentLock(
    deps.store.stateStore,
    {
      environment: request.environment,
      operation: 'abort',
      owner: deps.actor,
      clock: deps.clock,
      waitMs: request.lockWaitMs ?? settings.lockWait ?? 0,
      ...(deps.lockTtlMs ? { ttlMs: deps.lockTtlMs } : {}),
    },
    async () => {
      const op = interruptedOperation(deps, request.environment, 'abort');
      const journal = deps.store.readJournal(op.id);
      const restored = await restoreTrafficBefore(config, op, deps);
      const revision = op.state.revision as string | undefined;
      if (op.kind === 'deploy' && revision && !op.trafficBefore.some((t) => t.revision === revision)) {
        deps.store.recordVerdict({
          environment: op.environment,
          revision,
          verdict: 'rolled-back',
          digest: String(op.params.digest ?? ''),
          commit: String(op.params.commit ?? ''),
          operationId: op.id,
          details: { reason: 'aborted after an interruption' },
        });
      }
      deps.store.finishOperation(op.id, 'aborted', 'aborted after an interruption');
      const message = `Aborted ${op.kind} ${op.id}; ${restored}.`;
      deps.events.emit('operation:finished', {
        operationId: op.id,
        environment: op.environment,
        kind: op.kind,
        outcome: 'aborted',
        elapsedMs: 0,
        message,
      });
      return {
        operationId: op.id,
        environment: op.environment,
        kind: op.kind,
        interruptedAt: journal[journal.length - 1]?.step,
        message,
      };
    },
  );
}
