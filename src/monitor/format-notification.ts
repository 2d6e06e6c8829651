import { randomUUID } from 'node:crypto';
import type { AlertRecord } from './alert-lifecycle.js';
import type { AlertSeverity } from './monitor-settings.js';
import type { NotificationMessage } from './notifiers/notification-message.js';
import type { PlannedNotification } from './plan-group-notification.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const worst = (alerts: readonly AlertRecord[]): AlertSeverity =>
  alerts.some((a) => a.severity === 'page') ? 'page' : 'ticket';

/** One message per group flush, shaped like Alertmanager's webhook payload (status, groupKey, alerts[]). */
export function formatAlertNotification(input: PlannedNotification, nowMs: number): NotificationMessage {
  // Oldest first: the first line is usually the cause, the rest its symptoms.
  const byStart = (a: AlertRecord, b: AlertRecord) =>
    (a.firingSince ?? 0) - (b.firingSince ?? 0) || a.fingerprint.localeCompare(b.fingerprint);
  const planned = {
    ...input,
    firing: [...input.firing].sort(byStart),
    resolved: [...input.resolved].sort(byStart),
  };
  const status = planned.firing.length > 0 ? 'firing' : 'resolved';
  const names = (alerts: readonly AlertRecord[]) => [...new Set(alerts.map((a) => a.rule))].join(', ');
  const title =
    status === 'firing'
      ? `[FIRING:${planned.firing.length}] ${planned.environment}: ${names(planned.firing)}${planned.reason === 'repeat' ? ' (still firing)' : ''}${planned.resolved.length > 0 ? ` (resolved: ${names(planned.resolved)})` : ''}`
      : `[RESOLVED] ${planned.environment}: ${names(planned.resolved)}`;
  const line = (a: AlertRecord, resolved: boolean) =>
    `${resolved ? '✓' : '✗'} ${a.rule} (${a.severity}) ${resolved ? `resolved ${iso(a.resolvedAt ?? nowMs)}` : `since ${iso(a.firingSince)}`}: ${a.summary}`;
  const text = [
    ...planned.firing.map((a) => line(a, false)),
    ...planned.resolved.map((a) => line(a, true)),
  ].join('\n');
  const alert = (a: AlertRecord, resolved: boolean) => ({
    status: resolved ? 'resolved' : 'firing',
    labels: a.labels,
    summary: a.summary,
    value: a.value,
    threshold: a.threshold,
    startsAt: iso(a.firingSince),
    endsAt: resolved ? iso(a.resolvedAt ?? nowMs) : null,
    fingerprint: a.fingerprint,
  });
  return {
    id: randomUUID(),
    kind: 'alert',
    environment: planned.environment,
    severity: worst(planned.firing.length > 0 ? planned.firing : planned.resolved),
    title,
    text,
    payload: {
      status,
      reason: planned.reason,
      groupKey: `{env="${planned.environment}"}`,
      alerts: [...planned.firing.map((a) => alert(a, false)), ...planned.resolved.map((a) => alert(a, true))],
    },
  };
}
