import type { StateStore } from '../store/index.js';
import type { AlertRecord } from './alert-lifecycle.js';
import { MonitorStore } from './monitor-store.js';
import type { DeliveryRecord } from './notifiers/deliver-notification.js';
import { isSilenceActive, type Silence, silencesFor } from './silence-matchers.js';

export interface AlertView extends AlertRecord {
  /** Ids of the active silences muting it. */
  silencedBy: string[];
}

export interface AlertStatus {
  at: string;
  alerts: AlertView[];
  silences: Silence[];
  /** Deliveries that failed after every retry, newest last. */
  failedDeliveries: DeliveryRecord[];
}

/** What `prodguard alerts` shows: pending and firing alerts, the silences in force and failed deliveries. Read-only. */
export function readAlertStatus(
  store: StateStore,
  options: { nowMs: number; environment?: string },
): AlertStatus {
  const monitor = new MonitorStore(store);
  const silences = monitor.readSilences().filter((s) => isSilenceActive(s, options.nowMs));
  const alerts = monitor
    .readAlerts({
      ...(options.environment ? { environment: options.environment } : {}),
      states: ['pending', 'firing'],
    })
    .map((a) => ({ ...a, silencedBy: silencesFor(silences, a.labels, options.nowMs).map((s) => s.id) }));
  return {
    at: new Date(options.nowMs).toISOString(),
    alerts,
    silences,
    failedDeliveries: monitor.readDeliveries({
      status: 'failed',
      limit: 20,
      ...(options.environment ? { environment: options.environment } : {}),
    }),
  };
}
