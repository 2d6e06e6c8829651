import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import type { StateStore } from '../store/index.js';
import type { MonitorEngine } from './monitor-engine.js';
import { MonitorStore } from './monitor-store.js';
import { normalizeMonitorSettings } from './normalize-monitor-settings.js';
import { createNotifiers } from './notifiers/create-notifiers.js';
import { type DeliveryRecord, deliverNotification } from './notifiers/deliver-notification.js';
import type { NotificationMessage, Notifier, SecretLookup } from './notifiers/notification-message.js';

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

/**
 * `notifyOperationNotice` for a process without a running monitor (a CLI deploy, rotation or migration):
 * builds the configured notifiers, delivers with the same retries, and records the notice and its
 * deliveries in the state store, where `alerts` shows failed ones.
 *
 * @example
 * const notify = createOperationNoticeSender(config, { store, clock, lookup, write });
 * await notify({ env: 'production', kind: 'migration', phase: 'finished', outcome: 'success' });
 */
export function createOperationNoticeSender(
  config: Config,
  deps: {
    store: StateStore;
    clock: Clock;
    lookup: SecretLookup;
    write: (line: string) => void;
    knownSecrets?: () => readonly string[];
    /** Replaces the configured notifiers (tests). */
    notifiers?: readonly Notifier[];
  },
): NotifyOperationNotice {
  const settings = normalizeMonitorSettings(config);
  const notifiers =
    deps.notifiers ??
    createNotifiers(settings.notifiers, {
      clock: deps.clock,
      lookup: deps.lookup,
      write: deps.write,
      delivery: settings.delivery,
    });
  const store = new MonitorStore(deps.store);
  return async (notice) => {
    if (!settings.protectedEnvironments.includes(notice.env)) {
      return { sent: false, deliveries: [], reason: `${notice.env} is not a protected environment` };
    }
    const message = formatOperationNotice(notice);
    store.insertNotification(message, deps.clock.nowMs());
    const deliveries = await deliverNotification(notifiers, message, settings.delivery, {
      clock: deps.clock,
      record: (d) => store.recordDelivery(d),
      ...(deps.knownSecrets ? { knownSecrets: deps.knownSecrets } : {}),
    });
    return { sent: true, deliveries };
  };
}
