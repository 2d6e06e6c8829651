import {
  abortMigrateDeploy,
  abortMigrateRollback,
  abortMigrateTool,
  abortRestore,
  executeMigrateDeploy,
  executeMigrateRollback,
  executeMigrateTool,
  migrationToolOf,
  resolveDatabaseTarget,
} from '../database/index.js';
import type { DeployEvents } from '../deploy/deploy-events.js';
import { ProdguardError } from '../kernel/errors.js';
import {
  type OperationKind,
  type OperationRecord,
  type OperationStatus,
  type OperationStore,
  readStepResults,
  type StepResult,
} from '../operations/index.js';
import {
  abortRotation,
  type RotateSecretResult,
  rotateSecret,
  rotationFreezeChecks,
} from '../secrets/index.js';
import { isLockHolderLive, readLockHolders, withEnvironmentLock } from '../store/index.js';
import type { Workspace } from '../workspace/index.js';
import { migrationTarget } from './migration-target.js';
import { openSecretsSession } from './open-secrets-session.js';

/** One row of `prodguard operations`. */
export interface OperationSummary {
  id: string;
  kind: OperationKind;
  environment: string;
  /** `interrupted`: marked running, but nobody holds the environment's lock any more. */
  status: OperationStatus | 'interrupted';
  subject: string | undefined;
  actor: string;
  startedAt: string;
  finishedAt: string | undefined;
  error: string | undefined;
  lastStep: string | undefined;
  parentId: string | undefined;
  children: string[];
  steps: StepResult[];
}

export function operationStore(ws: Workspace): OperationStore {
  return ws.operations;
}

/** Every kind of operation, newest first: running, interrupted and finished. */
export function listOperations(
  ws: Workspace,
  query: { environment?: string | undefined; limit?: number } = {},
): OperationSummary[] {
  const ops = operationStore(ws);
  const live = new Set(
    readLockHolders(ws.store)
      .filter((h) => isLockHolderLive(h, ws.clock.nowMs()))
      .map((h) => h.environment),
  );
  return ops.list({ environment: query.environment, limit: query.limit ?? 20 }).map((op) => ({
    id: op.id,
    kind: op.kind,
    environment: op.environment,
    status: op.status === 'running' && !live.has(op.environment) ? 'interrupted' : op.status,
    subject: op.subject,
    actor: op.actor,
    startedAt: op.startedAt,
    finishedAt: op.finishedAt,
    error: op.error,
    lastStep: ops.lastStep(op.id)?.step,
    parentId: op.parentId,
    children: ops.children(op.id).map((c) => c.id),
    steps: readStepResults(ops, op),
  }));
}

/**
 * `<env|op-id>` → the interrupted top-level operation it names. A child (a rotation's rollout) resolves to
 * its parent: the parent's resume and abort reach the child.
 */
export function findInterruptedOperation(
  ws: Workspace,
  target: string,
  verb: 'resume' | 'abort',
): OperationRecord {
  const ops = operationStore(ws);
  let op = ops.get(target);
  while (op?.parentId) op = ops.get(op.parentId);
  if (op) {
    if (op.status !== 'running') {
      throw new ProdguardError(
        'PRODGUARD_OPERATION_NOT_RUNNING',
        `${op.kind} ${op.id} is not running: it ${op.status}.`,
        {
          kind: 'usage',
          hint: 'prodguard operations lists what is running or interrupted.',
        },
      );
    }
    return op;
  }
  if (!ws.config.environments[target] && target !== 'scratch') {
    throw new ProdguardError(
      'PRODGUARD_OPERATION_NOT_FOUND',
      `"${target}" is neither an operation id nor an environment.`,
      {
        kind: 'usage',
        hint: `Name an environment (${Object.keys(ws.config.environments).join(', ')}) or an id from \`prodguard operations\`.`,
      },
    );
  }
  const running = ops.running(target);
  if (running.length === 0) {
    throw new ProdguardError(
      'PRODGUARD_OPERATION_NOTHING_TO_RECOVER',
      `No interrupted operation on ${target} to ${verb}.`,
      {
        kind: 'usage',
        hint: `prodguard operations --env ${target} shows what ran; an operation in progress in another terminal holds the lock instead.`,
      },
    );
  }
  if (running.length > 1) {
    throw new ProdguardError(
      'PRODGUARD_OPERATION_AMBIGUOUS',
      `${running.length} interrupted operations on ${target}: ${running.map((o) => `${o.kind} ${o.id}`).join(', ')}.`,
      { kind: 'usage', hint: `Name one: prodguard ${verb} <op-id>` },
    );
  }
  return running[0]!;
}

export interface RecoveryOptions {
  /** Display events of the deploy pipeline (steps, traffic switches), rendered by the caller. */
  events: DeployEvents;
  signal?: AbortSignal;
  lockWaitMs?: number;
}

export interface RecoveryOutcome {
  operationId: string;
  kind: OperationKind;
  environment: string;
  ok: boolean;
  /** The exit code class: 0 done, 3 failed or rolled back. */
  failed: boolean;
  message: string;
  steps: StepResult[];
  /** The kind's own result (a deploy's outcome and revision, a rotation's versions, migrations applied). */
  result?: unknown;
}

async function withPipeline<T>(
  ws: Workspace,
  options: RecoveryOptions,
  fn: (pipeline: Awaited<ReturnType<typeof import('../deploy/open-pipeline.js').openPipeline>>) => Promise<T>,
): Promise<T> {
  const { openPipeline } = await import('../deploy/open-pipeline.js');
  const pipeline = await openPipeline(ws, {
    events: options.events,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    return await fn(pipeline);
  } finally {
    await pipeline.close();
  }
}

function lockOptions(
  ws: Workspace,
  op: OperationRecord,
  verb: string,
  actor: string,
  options: RecoveryOptions,
) {
  return {
    environment: op.environment,
    operation: `${verb} ${op.id}`,
    owner: actor,
    clock: ws.clock,
    waitMs: options.lockWaitMs ?? 0,
  };
}

function outcomeOf(ws: Workspace, op: OperationRecord, message: string, result?: unknown): RecoveryOutcome {
  const ops = operationStore(ws);
  const after = ops.get(op.id) ?? op;
  return {
    operationId: op.id,
    kind: op.kind,
    environment: op.environment,
    ok: after.status === 'succeeded' || after.status === 'aborted',
    failed: after.status === 'failed' || after.status === 'rolled-back' || after.status === 'running',
    message,
    steps: readStepResults(ops, after),
    ...(result === undefined ? {} : { result }),
  };
}

async function resumeRotation(
  ws: Workspace,
  op: OperationRecord<'secrets-rotation'>,
  options: RecoveryOptions,
) {
  const session = await openSecretsSession(ws, { running: op.environment, roller: true });
  try {
    const result: RotateSecretResult = await rotateSecret(
      session.ctx,
      { name: op.params.name, environment: op.environment, resume: true },
      {
        postgres: session.roles(op.environment),
        key: session.key,
        checks: rotationFreezeChecks(ws.config, ws.store),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.lockWaitMs ? { lockWaitMs: options.lockWaitMs } : {}),
      },
    );
    return result.error?.message ?? `Rotation ${op.id} of ${op.params.name} ${result.outcome}.`;
  } finally {
    await session.close();
  }
}

/** `prodguard resume <env|op-id>`: continues any kind of interrupted operation from its last journaled step. */
export async function resumeOperation(
  ws: Workspace,
  target: string,
  options: RecoveryOptions,
): Promise<RecoveryOutcome> {
  const found = findInterruptedOperation(ws, target, 'resume');
  const ops = operationStore(ws);
  const actor = await ws.actor();
  let message: string;
  let result: unknown;
  switch (found.kind) {
    case 'deploy':
    case 'rollback':
    case 'maintenance': {
      message = await withPipeline(ws, options, async (pipeline) => {
        const { resumePipelineOperation } = await import('../deploy/recover-operation.js');
        return withEnvironmentLock(
          ws.store,
          lockOptions(ws, found, 'resume', actor, options),
          async (lock) => {
            const resumed = await resumePipelineOperation(pipeline.config, found, pipeline.deps, lock);
            result = resumed.result;
            return resumed.result.message;
          },
        );
      });
      break;
    }
    case 'secrets-rotation':
      message = await resumeRotation(ws, ops.get(found.id, 'secrets-rotation')!, options);
      break;
    case 'migrate-deploy': {
      const op = ops.get(found.id, 'migrate-deploy')!;
      const t = migrationTarget(ws, op.environment);
      message = await withEnvironmentLock(
        ws.store,
        lockOptions(ws, op, 'resume', actor, options),
        async (lock) => {
          const result = await executeMigrateDeploy(op, {
            ops,
            lock,
            history: t.history,
            url: t.url,
            deps: { clock: ws.clock, config: ws.config },
            result: { environment: op.environment, steps: [], applied: [], warnings: [] },
          });
          return (
            result.error?.message ?? `${result.applied.length} migration(s) applied on ${op.environment}.`
          );
        },
      );
      break;
    }
    case 'migrate-rollback': {
      const op = ops.get(found.id, 'migrate-rollback')!;
      const t = migrationTarget(ws, op.environment);
      message = await withEnvironmentLock(
        ws.store,
        lockOptions(ws, op, 'resume', actor, options),
        async (lock) => {
          const result = await executeMigrateRollback(op, {
            ...t,
            ops,
            lock,
            deps: {
              clock: ws.clock,
              store: ws.store,
              audit: ws.audit,
              actor,
              processes: ws.processes,
              cwd: ws.config.root,
              env: ws.env,
            },
          });
          return `${result.name} rolled back on ${op.environment}.`;
        },
      );
      break;
    }
    case 'migrate-tool': {
      const op = ops.get(found.id, 'migrate-tool')!;
      const tool = migrationToolOf(ws.config);
      if (!tool || tool.tool !== op.params.tool)
        throw new ProdguardError(
          'PRODGUARD_OPERATION_NOT_RESUMABLE',
          `${found.id} ran ${op.params.tool}, but database.migrations no longer names that tool.`,
          { kind: 'usage', hint: `prodguard abort ${found.id}` },
        );
      const { url } = resolveDatabaseTarget(ws.config, op.environment, ws.env);
      message = await withEnvironmentLock(
        ws.store,
        lockOptions(ws, op, 'resume', actor, options),
        async (lock) => {
          const done = await executeMigrateTool(op, {
            ops,
            lock,
            url,
            deps: { tool, processes: ws.processes, env: ws.env, config: ws.config, clock: ws.clock },
            result: {
              environment: op.environment,
              tool: tool.tool,
              pending: op.params.pending,
              applied: [],
              warnings: [],
            },
          });
          return (
            done.error?.message ??
            `${done.applied.length} ${tool.tool} migration(s) applied on ${op.environment}.`
          );
        },
      );
      break;
    }
    case 'db-restore':
      throw new ProdguardError(
        'PRODGUARD_OPERATION_NOT_RESUMABLE',
        `Restore ${found.id} cannot be resumed: the scratch database holds part of a backup, and its URL was never journaled (it carries credentials).`,
        {
          kind: 'usage',
          hint: `prodguard abort ${found.id}, then drop the scratch database and restore again.`,
        },
      );
  }
  return outcomeOf(ws, found, message, result);
}

/** `prodguard abort <env|op-id>`: undoes what an interrupted operation of any kind left half done. */
export async function abortOperation(
  ws: Workspace,
  target: string,
  options: RecoveryOptions,
): Promise<RecoveryOutcome> {
  const found = findInterruptedOperation(ws, target, 'abort');
  const ops = operationStore(ws);
  const actor = await ws.actor();
  let message: string;
  switch (found.kind) {
    case 'deploy':
    case 'rollback':
    case 'maintenance':
      message = await withPipeline(ws, options, async (pipeline) => {
        const { abortPipelineOperation } = await import('../deploy/recover-operation.js');
        return withEnvironmentLock(ws.store, lockOptions(ws, found, 'abort', actor, options), () =>
          abortPipelineOperation(pipeline.config, found, pipeline.deps),
        );
      });
      break;
    case 'secrets-rotation': {
      const session = await openSecretsSession(ws, { running: found.environment, roller: true });
      try {
        const aborted = await abortRotation(
          session.ctx,
          { operationId: found.id },
          {
            key: session.key,
            ...(options.lockWaitMs ? { lockWaitMs: options.lockWaitMs } : {}),
          },
        );
        message = aborted.message;
      } finally {
        await session.close();
      }
      break;
    }
    case 'migrate-deploy': {
      const op = ops.get(found.id, 'migrate-deploy')!;
      const { url } = migrationTarget(ws, op.environment);
      message = await withEnvironmentLock(ws.store, lockOptions(ws, op, 'abort', actor, options), () =>
        abortMigrateDeploy(op, { ops, url, clock: ws.clock }),
      );
      break;
    }
    case 'migrate-rollback': {
      const op = ops.get(found.id, 'migrate-rollback')!;
      const { url } = migrationTarget(ws, op.environment);
      message = await withEnvironmentLock(ws.store, lockOptions(ws, op, 'abort', actor, options), () =>
        abortMigrateRollback(op, { ops, url }),
      );
      break;
    }
    case 'migrate-tool': {
      const op = ops.get(found.id, 'migrate-tool')!;
      message = await withEnvironmentLock(ws.store, lockOptions(ws, op, 'abort', actor, options), async () =>
        abortMigrateTool(op, ops),
      );
      break;
    }
    case 'db-restore':
      message = abortRestore(ops.get(found.id, 'db-restore')!, ops);
      break;
  }
  return outcomeOf(ws, found, message);
}
