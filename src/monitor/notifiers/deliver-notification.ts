import type { Clock } from '../../kernel/clock.js';
import { redactText } from '../../kernel/redact.js';
import type { DeliverySettings } from '../monitor-settings.js';
import type { NotificationMessage, Notifier } from './notification-message.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One notification to one notifier: what the store keeps and `alerts --json` shows. */
export interface DeliveryRecord {
  id: string;
  notificationId: string;
  notifier: string;
  kind: Notifier['kind'];
  environment: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface DeliveryPorts {
  clock: Pick<Clock, 'nowMs' | 'sleep'>;
  /** Called after every attempt, so a failing receiver is visible while it is still being retried. */
  record: (delivery: DeliveryRecord) => void;
  /** Exact secret values to mask in recorded errors. */
  knownSecrets?: () => readonly string[];
}

/**
 * Sends one message through every notifier that takes its severity, each retried with exponential backoff
 * (backoffMs, 2×, 4×…). Never throws: the outcome is in the returned records.
 */
export async function deliverNotification(
  notifiers: readonly Notifier[],
  message: NotificationMessage,
  settings: DeliverySettings,
  ports: DeliveryPorts,
): Promise<DeliveryRecord[]> {
  const targets = notifiers.filter((n) => n.severities.includes(message.severity));
  return Promise.all(
    targets.map(async (notifier) => {
      const now = ports.clock.nowMs();
      const record: DeliveryRecord = {
        id: `${message.id}:${notifier.name}`,
        notificationId: message.id,
        notifier: notifier.name,
        kind: notifier.kind,
        environment: message.environment,
        status: 'pending',
        attempts: 0,
        lastError: null,
        createdAt: now,
        updatedAt: now,
      };
      for (let attempt = 1; attempt <= Math.max(1, settings.attempts); attempt++) {
        record.attempts = attempt;
        try {
          await notifier.send(message);
          record.status = 'delivered';
          record.lastError = null;
        } catch (error) {
          record.lastError = redactText(
            error instanceof Error ? error.message : String(error),
            ports.knownSecrets?.() ?? [],
          );
          record.status = attempt >= settings.attempts ? 'failed' : 'pending';
        }
        record.updatedAt = ports.clock.nowMs();
        ports.record({ ...record });
        if (record.status !== 'pending') break;
        await ports.clock.sleep(settings.backoffMs * 2 ** (attempt - 1));
      }
      return { ...record };
    }),
  );
}
