import type { Logger } from '../kernel/logger.js';
import type { NotifyOperationNotice, OperationNoticeKind } from '../monitor/index.js';
import type {
  FinishedStatus,
  OperationKind,
  OperationObserver,
  OperationRecord,
} from '../operations/index.js';

/** Which kinds the team hears about (seed §3 "team notified of deployment window", §4 "notify all stakeholders"). */
const NOTICE_KIND: Partial<Record<OperationKind, OperationNoticeKind>> = {
  deploy: 'deploy',
  rollback: 'deploy',
  maintenance: 'maintenance',
  'secrets-rotation': 'rotation',
  'migrate-deploy': 'migration',
  'migrate-rollback': 'migration',
};

const OUTCOME: Record<FinishedStatus, 'success' | 'failed' | 'rolled-back' | 'aborted'> = {
  succeeded: 'success',
  failed: 'failed',
  'rolled-back': 'rolled-back',
  aborted: 'aborted',
};

export interface OperationNotices {
  observer: OperationObserver;
  /** Waits for every notice this process started sending (delivery retries included). */
  flush(): Promise<void>;
}

/**
 * Sends a notice when an operation on a protected environment starts and when it ends, through the
 * monitor's notifiers. A child operation (a rotation's rollout) is part of its parent's notice. Delivery
 * failures are recorded by the notifier and logged here; they never change the operation's outcome.
 */
export function createOperationNotices(
  notify: NotifyOperationNotice,
  log: Pick<Logger, 'warn'>,
): OperationNotices {
  const pending = new Set<Promise<unknown>>();
  const send = (
    op: OperationRecord,
    phase: 'started' | 'finished',
    status?: FinishedStatus,
    message?: string,
  ) => {
    const kind = NOTICE_KIND[op.kind];
    if (!kind || op.parentId) return;
    const sending = notify({
      env: op.environment,
      kind,
      phase,
      actor: op.actor,
      target: [op.id, op.subject].filter(Boolean).join(' '),
      ...(status ? { outcome: OUTCOME[status] } : {}),
      ...(message ? { summary: message } : {}),
    }).catch((error: unknown) =>
      log.warn(`the ${phase} notice of ${op.kind} ${op.id} was not sent`, {
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    pending.add(sending);
    void sending.finally(() => pending.delete(sending));
  };
  return {
    observer: {
      started: (op) => send(op, 'started'),
      finished: (op, status, message) => send(op, 'finished', status, message),
    },
    flush: async () => {
      await Promise.all([...pending]);
    },
  };
}
