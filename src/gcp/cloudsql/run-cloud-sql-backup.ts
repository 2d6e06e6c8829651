import type { Clock } from '../../kernel/clock.js';
import { ProdguardError } from '../../kernel/errors.js';
import { type GcpTransport, type SqlOperation, waitSqlOperation } from '../transport/index.js';
import type { CloudSqlInstanceRef } from './cloud-sql-role-admin.js';

export interface CloudSqlBackupRun {
  id: string;
  status: 'ENQUEUED' | 'RUNNING' | 'SUCCESSFUL' | 'FAILED' | 'SKIPPED' | 'DELETION_PENDING' | string;
  type?: string;
  description?: string;
  enqueuedTime?: string;
  startTime?: string;
  endTime?: string;
  error?: { code?: string; message?: string };
}

/** What a finished on-demand backup records (the Cloud SQL counterpart of runBackup's BackupRecord). */
export interface CloudSqlBackupRecord {
  environment: string;
  instance: string;
  backupRunId: string;
  status: 'SUCCESSFUL';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  reason: string | null;
}

export interface RunCloudSqlBackupOptions {
  environment: string;
  instance: CloudSqlInstanceRef;
  reason?: string;
  /** Longest the backup may take before prodguard refuses to migrate (default 30 m). */
  timeoutMs?: number;
}

/**
 * Before a production migration: `POST …/backupRuns` (on-demand), wait for the operation, then read the
 * backup run and require SUCCESSFUL. Anything else (FAILED, timeout, an error) refuses the migration:
 * no backup, no migration.
 */
export async function runCloudSqlBackup(
  options: RunCloudSqlBackupOptions,
  deps: { transport: GcpTransport; clock: Clock; pollIntervalMs?: number },
): Promise<CloudSqlBackupRecord> {
  const { project, instance } = options.instance;
  const started = deps.clock.now();
  const refuse = (why: string, cause?: unknown) =>
    new ProdguardError(
      'PRODGUARD_DB_BACKUP_FAILED',
      `No migration on ${options.environment}: the on-demand Cloud SQL backup of ${instance} ${why}.`,
      {
        kind: 'refused',
        ...(cause === undefined ? {} : { cause }),
        hint: 'Check the instance in the Cloud SQL console (Backups tab); retry when a backup can be taken.',
      },
    );
  let done: SqlOperation;
  try {
    const op = await deps.transport.request<SqlOperation & { backupContext?: { backupId?: string } }>({
      api: 'sqladmin',
      method: 'POST',
      path: `/v1/projects/${project}/instances/${instance}/backupRuns`,
      body: {
        description: `prodguard: before migrating ${options.environment}${options.reason ? ` (${options.reason})` : ''}`,
      },
    });
    done = await waitSqlOperation(deps.transport, project, op, {
      clock: deps.clock,
      timeoutMs: options.timeoutMs ?? 30 * 60_000,
      intervalMs: deps.pollIntervalMs ?? 5_000,
    });
    if (deps.transport.mode === 'plan')
      return {
        environment: options.environment,
        instance,
        backupRunId: '(planned)',
        status: 'SUCCESSFUL',
        startedAt: started.toISOString(),
        finishedAt: started.toISOString(),
        durationMs: 0,
        reason: options.reason ?? null,
      };
    const backupId =
      (done as { backupContext?: { backupId?: string } }).backupContext?.backupId ??
      op.backupContext?.backupId;
    const run = backupId
      ? await deps.transport.request<CloudSqlBackupRun>({
          api: 'sqladmin',
          method: 'GET',
          path: `/v1/projects/${project}/instances/${instance}/backupRuns/${backupId}`,
        })
      : (
          await deps.transport.request<{ items?: CloudSqlBackupRun[] }>({
            api: 'sqladmin',
            method: 'GET',
            path: `/v1/projects/${project}/instances/${instance}/backupRuns`,
            query: { maxResults: 5 },
          })
        ).items?.find((r) => r.type === 'ON_DEMAND');
    if (!run) throw refuse('cannot be found after its operation finished');
    if (run.status !== 'SUCCESSFUL')
      throw refuse(`ended ${run.status}${run.error?.message ? `: ${run.error.message}` : ''}`);
    const finished = deps.clock.now();
    return {
      environment: options.environment,
      instance,
      backupRunId: run.id,
      status: 'SUCCESSFUL',
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      reason: options.reason ?? null,
    };
  } catch (error) {
    if (error instanceof ProdguardError && error.code === 'PRODGUARD_DB_BACKUP_FAILED') throw error;
    throw refuse(error instanceof Error ? `failed: ${error.message}` : 'failed', error);
  }
}
