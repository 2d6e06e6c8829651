import type { AlertRecord } from './alert-lifecycle.js';
import type { GroupingSettings } from './monitor-settings.js';

/** Notification state of one group (one environment): what was last sent, and when. */
export interface GroupState {
  environment: string;
  /** `fingerprint@firingSince` of every alert last notified as firing (muted ones are held here too). */
  notified: string[];
  /** When the group first had a firing alert to announce (group_wait counts from here). */
  firstPendingAt: number | null;
  lastFlushAt: number | null;
}

export type NotificationReason = 'new' | 'changed' | 'repeat';

export interface PlannedNotification {
  environment: string;
  reason: NotificationReason;
  /** Firing alerts, all of them (the receiver sees the whole group). */
  firing: AlertRecord[];
  /** Alerts notified as firing before that have since resolved. */
  resolved: AlertRecord[];
}

export function emptyGroupState(environment: string): GroupState {
  return { environment, notified: [], firstPendingAt: null, lastFlushAt: null };
}

const keyOf = (a: AlertRecord) => `${a.fingerprint}@${a.firingSince ?? 0}`;

/**
 * Alertmanager's dispatch for one group, as a pure step: wait group_wait before the first notification,
 * then send at most every group_interval when the set changed, and re-send every repeat_interval.
 *
 * Muted (silenced or in maintenance) alerts are held, not forgotten: an alert that was notified before a
 * maintenance window and is still firing when it ends is not announced again (the Uptime Kuma
 * MAINTENANCE→DOWN re-notification), and one that resolved meanwhile gets its resolve notice after the window.
 */
export function planGroupNotification(input: {
  group: GroupState;
  alerts: readonly AlertRecord[];
  isMuted: (alert: AlertRecord) => boolean;
  nowMs: number;
  grouping: GroupingSettings;
}): { group: GroupState; notification?: PlannedNotification } {
  const { group, nowMs, grouping } = input;
  const byFingerprint = new Map(input.alerts.map((a) => [a.fingerprint, a]));
  const notified = new Set(group.notified);
  const firing = input.alerts.filter((a) => a.state === 'firing');
  const visible = firing.filter((a) => !input.isMuted(a));
  const held = new Set<string>();
  const resolved: AlertRecord[] = [];
  for (const key of notified) {
    const fingerprint = key.slice(0, key.lastIndexOf('@'));
    const alert = byFingerprint.get(fingerprint);
    if (!alert) continue; // forgotten alert: nothing left to say about it
    const stillFiring = alert.state === 'firing' && keyOf(alert) === key;
    if (input.isMuted(alert)) {
      held.add(key);
      continue;
    }
    if (!stillFiring) resolved.push(alert);
  }
  const fresh = visible.filter((a) => !notified.has(keyOf(a)));
  const changed = fresh.length > 0 || resolved.length > 0;

  const flush = (reason: NotificationReason) => {
    const nextNotified = [...new Set([...visible.map(keyOf), ...held])];
    const next: GroupState = {
      environment: group.environment,
      notified: nextNotified,
      firstPendingAt: nextNotified.length > 0 ? (group.firstPendingAt ?? nowMs) : null,
      lastFlushAt: nextNotified.length > 0 ? nowMs : null,
    };
    return {
      group: next,
      notification: { environment: group.environment, reason, firing: visible, resolved },
    };
  };

  if (group.lastFlushAt === null) {
    if (fresh.length === 0 && resolved.length === 0) {
      return { group: { ...group, notified: [...held], firstPendingAt: null } };
    }
    const since = group.firstPendingAt ?? nowMs;
    if (nowMs - since >= grouping.groupWaitMs) return flush('new');
    return { group: { ...group, firstPendingAt: since } };
  }
  const sinceFlush = nowMs - group.lastFlushAt;
  if (changed && sinceFlush >= grouping.groupIntervalMs) return flush('changed');
  if (!changed && visible.length > 0 && sinceFlush >= grouping.repeatIntervalMs) return flush('repeat');
  return { group };
}
