import { randomUUID } from 'node:crypto';
import type { MonitorEngine } from './monitor-engine.js';
import type { DeliveryRecord } from './notifiers/deliver-notification.js';
import type { NotificationMessage } from './notifiers/notification-message.js';

export type OperationNoticeKind = 'deploy' | 'rotation' | 'migration' | 'maintenance';

export interface OperationNotice {
  env: string;
  kind: OperationNoticeKind;
  phase: 'started' | 'finished';
  /** For `finished`: how it ended. */
  outcome?: 'success' | 'failed' | 'rolled-back' | 'aborted';
  actor?: string;
  /** Operation id, revision, secret name and version number… never a secret value. */
  target?: string;
  summary?: string;
}

export type NotifyOperationNotice = (
  notice: OperationNotice,
) => Promise<{ sent: boolean; deliveries: DeliveryRecord[]; reason?: string }>;

const WHAT: Record<OperationNoticeKind, string> = {
  deploy: 'Deployment',
  rotation: 'Password rotation',
  migration: 'Database migration',
  maintenance: 'Maintenance window',
};

export function formatOperationNotice(notice: OperationNotice): NotificationMessage {
  const verb =
    notice.phase === 'started'
      ? 'started'
      : notice.outcome && notice.outcome !== 'success'
        ? `finished: ${notice.outcome}`
        : 'finished';
  const title = `[NOTICE] ${notice.env}: ${WHAT[notice.kind]} ${verb}`;
  const text = [
    notice.target ? `target: ${notice.target}` : undefined,
    notice.actor ? `by: ${notice.actor}` : undefined,
    notice.summary,
  ]
    .filter((x): x is string => Boolean(x))
    .join('\n');
  return {
    id: randomUUID(),
    kind: 'notice',
    environment: notice.env,
    severity: 'page',
    title,
    text: text || title,
    payload: { notice: { ...notice } },
  };
}

/**
 * Seed §3 and §4: the team hears when a deploy window, a migration, a maintenance window or a password
 * change starts and ends on a protected environment. Sent through the alert notifiers; other
 * environments are skipped (returned, not thrown).
 *
 * @example
 * const notify = createOperationNotifier(engine, settings.protectedEnvironments);
 * await notify({ env: 'production', kind: 'rotation', phase: 'started', target: 'DATABASE_URL v7' });
 */
export function createOperationNotifier(
  engine: Pick<MonitorEngine, 'send'>,
  protectedEnvironments: readonly string[],
): NotifyOperationNotice {
  return async (notice) => {
    if (!protectedEnvironments.includes(notice.env)) {
      return { sent: false, deliveries: [], reason: `${notice.env} is not a protected environment` };
    }
    const deliveries = await engine.send(formatOperationNotice(notice));
    return { sent: true, deliveries };
  };
}
