import { MonitorStore } from '../monitor/index.js';
import type { Incident, IncidentEvent } from './incident.js';
import type { IncidentPorts } from './incident-ports.js';
import { IncidentStore } from './incident-store.js';

export interface TimelineEntry {
  at: string;
  source: 'incident' | 'alert' | 'audit';
  kind: string;
  actor: string | null;
  message: string;
}

/** How far before the incident opened the timeline looks for the alerts and changes that led to it. */
export const TIMELINE_LOOKBACK_MS = 30 * 60_000;

/**
 * Every event of an incident, oldest first: its own events (opened, notes, status, rollback), the alerts of
 * its environment from shortly before it opened, and the audited changes (deploys, migrations, rotations).
 */
export function readIncidentTimeline(
  ports: Pick<IncidentPorts, 'store' | 'clock'>,
  incident: Incident,
): TimelineEntry[] {
  const from = new Date(incident.openedAt).getTime() - TIMELINE_LOOKBACK_MS;
  const to = incident.resolvedAt ? new Date(incident.resolvedAt).getTime() : ports.clock.nowMs();
  const own = new IncidentStore(ports.store).events(incident.id).map((e: IncidentEvent) => ({
    at: e.at,
    source: 'incident' as const,
    kind: e.kind,
    actor: e.actor,
    message: e.message,
  }));
  const alerts = new MonitorStore(ports.store)
    .readTransitions({ environment: incident.environment, sinceMs: from })
    .filter((t) => t.at <= to && (t.kind === 'firing' || t.kind === 'resolved'))
    .map((t) => ({
      at: new Date(t.at).toISOString(),
      source: 'alert' as const,
      kind: `alert ${t.kind}`,
      actor: null,
      message: `${t.rule}: ${t.summary}`,
    }));
  const audit = ports.store.db
    .prepare<
      [string, string, string],
      {
        at: string;
        actor: string;
        action: string;
        target: string | null;
        outcome: string;
        reason: string | null;
      }
    >(
      `SELECT at, actor, action, target, outcome, reason FROM audit_events
       WHERE environment = ? AND at >= ? AND at <= ? AND action NOT LIKE 'incident.%' AND action NOT LIKE 'silence.%'
       ORDER BY seq`,
    )
    .all(incident.environment, new Date(from).toISOString(), new Date(to).toISOString())
    .map((e) => ({
      at: e.at,
      source: 'audit' as const,
      kind: e.action,
      actor: e.actor,
      message: `${e.action}${e.target ? ` ${e.target}` : ''}: ${e.outcome}${e.reason ? ` (${e.reason})` : ''}`,
    }));
  return [...own, ...alerts, ...audit].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}
