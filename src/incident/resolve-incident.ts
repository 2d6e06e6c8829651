import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../kernel/errors.js';
import { redactText } from '../kernel/redact.js';
import { MonitorStore } from '../monitor/index.js';
import type { Incident } from './incident.js';
import { incidentNotFound, incidentResolved } from './incident-errors.js';
import type { IncidentPorts, IncidentSettings } from './incident-ports.js';
import { IncidentStore } from './incident-store.js';
import { readIncidentTimeline, TIMELINE_LOOKBACK_MS } from './read-incident-timeline.js';
import { type IncidentImpact, renderPostmortem } from './render-postmortem.js';

/** Failed requests and degraded minutes between the first alert (or the opening) and now. */
export function readIncidentImpact(
  ports: Pick<IncidentPorts, 'store' | 'clock'>,
  incident: Incident,
): IncidentImpact {
  const opened = Date.parse(incident.openedAt);
  const to = incident.resolvedAt ? Date.parse(incident.resolvedAt) : ports.clock.nowMs();
  const monitor = new MonitorStore(ports.store);
  const transitions = monitor
    .readTransitions({ environment: incident.environment, sinceMs: opened - TIMELINE_LOOKBACK_MS })
    .filter((t) => t.at <= to);
  const firstFiring = transitions.find((t) => t.kind === 'pending' || t.kind === 'firing')?.at;
  const from = Math.min(opened, firstFiring ?? opened);
  // Union of breach intervals, per alert from its first breach (pending, or firing without `for`) to its
  // resolve or clear (or the end): the users suffered before the alert fired, too.
  const intervals: [number, number][] = [];
  const open = new Map<string, number>();
  for (const t of transitions) {
    if ((t.kind === 'pending' || t.kind === 'firing') && !open.has(t.fingerprint))
      open.set(t.fingerprint, t.at);
    else if ((t.kind === 'resolved' || t.kind === 'cleared') && open.has(t.fingerprint)) {
      intervals.push([open.get(t.fingerprint)!, t.at]);
      open.delete(t.fingerprint);
    }
  }
  for (const start of open.values()) intervals.push([start, to]);
  intervals.sort((a, b) => a[0] - b[0]);
  let degradedMs = 0;
  let cursor = Number.NEGATIVE_INFINITY;
  for (const [s, e] of intervals) {
    const start = Math.max(s, cursor, from);
    if (e > start) degradedMs += e - start;
    cursor = Math.max(cursor, e);
  }
  const traffic = monitor.readTraffic(incident.environment, from, to);
  return {
    failedRequests: traffic.reduce((n, m) => n + m.errors, 0),
    totalRequests: traffic.reduce((n, m) => n + m.requests, 0),
    degradedMinutes: Math.round(degradedMs / 600) / 100,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
  };
}

/** `incident resolve --root-cause`: closes the incident, lifts its freeze and writes the postmortem. */
export function resolveIncident(
  ports: Pick<IncidentPorts, 'store' | 'clock' | 'audit' | 'knownSecrets'>,
  settings: Pick<IncidentSettings, 'postmortemDir'>,
  raw: { id: number; rootCause: string; actor: string },
): { incident: Incident; postmortemPath: string; impact: IncidentImpact } {
  const input = { ...raw, rootCause: redactText(raw.rootCause, ports.knownSecrets?.() ?? []) };
  const store = new IncidentStore(ports.store);
  const incident = store.get(input.id);
  if (!incident) throw incidentNotFound(input.id);
  if (incident.status === 'resolved') throw incidentResolved(input.id);
  if (!input.rootCause.trim()) {
    throw new UsageError('PRODGUARD_INCIDENT_ROOT_CAUSE', 'Resolving needs a root cause.', {
      hint: 'prodguard incident resolve 3 --root-cause "the v42 query missed an index under load"',
    });
  }
  const now = ports.clock.now().toISOString();
  ports.audit.append({
    actor: input.actor,
    environment: incident.environment,
    action: 'incident.resolve',
    target: `#${incident.id}`,
    reason: input.rootCause,
    outcome: 'success',
  });
  store.addEvent({
    incidentId: incident.id,
    at: now,
    kind: 'resolved',
    actor: input.actor,
    message: `resolved: ${input.rootCause}`,
  });
  const resolved = store.update(incident.id, {
    status: 'resolved',
    freezesDeploys: false,
    resolvedAt: now,
    rootCause: input.rootCause,
  });
  const timeline = readIncidentTimeline(ports, resolved);
  const impact = readIncidentImpact(ports, resolved);
  const slug = resolved.title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  mkdirSync(settings.postmortemDir, { recursive: true });
  const path = join(
    settings.postmortemDir,
    `${now.slice(0, 10)}-incident-${resolved.id}${slug ? `-${slug}` : ''}.md`,
  );
  writeFileSync(path, renderPostmortem({ incident: resolved, timeline, impact }));
  store.addEvent({
    incidentId: incident.id,
    at: now,
    kind: 'postmortem',
    actor: 'prodguard',
    message: `postmortem written to ${path}`,
  });
  return { incident: store.update(incident.id, { postmortemPath: path }), postmortemPath: path, impact };
}
