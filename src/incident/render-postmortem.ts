import type { Incident } from './incident.js';
import type { TimelineEntry } from './read-incident-timeline.js';

export interface IncidentImpact {
  /** Requests answered 5xx or failed at the router during the incident window. */
  failedRequests: number;
  totalRequests: number;
  /** Minutes with at least one alert condition breached on the environment (pending or firing). */
  degradedMinutes: number;
  from: string;
  to: string;
}

const when = (iso: string) =>
  iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
    .replace(/Z$/, ' UTC');
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The postmortem in markdown, from the timeline (PagerDuty's template, trimmed): overview, what happened,
 * timeline (UTC), impact, contributing factors, resolution, action items. Pure: same input, same text.
 */
export function renderPostmortem(input: {
  incident: Incident;
  timeline: readonly TimelineEntry[];
  impact: IncidentImpact;
}): string {
  const { incident, timeline, impact } = input;
  const alerts = [
    ...new Set(timeline.filter((t) => t.kind === 'alert firing').map((t) => t.message.split(':')[0]!)),
  ];
  const rollbacks = timeline.filter((t) => t.kind === 'rollback');
  const changes = timeline.filter(
    (t) => t.source === 'audit' && /^(deploy|rollback|migrat|secrets|rotate|maintenance)/.test(t.kind),
  );
  const notes = timeline.filter((t) => t.kind === 'note');
  const durationMin = incident.resolvedAt
    ? Math.round((Date.parse(incident.resolvedAt) - Date.parse(incident.openedAt)) / 60_000)
    : undefined;
  const pct =
    impact.totalRequests > 0
      ? ` (${((impact.failedRequests / impact.totalRequests) * 100).toFixed(2)} %)`
      : '';
  const lines: string[] = [
    `# Postmortem: incident #${incident.id}: ${incident.title}`,
    '',
    '## Overview',
    '',
    `- Severity: SEV-${incident.severity}`,
    `- Environment: ${incident.environment}`,
    `- Opened: ${when(incident.openedAt)} by ${incident.openedBy} (${incident.source === 'alert' ? `automatically, alert ${incident.alertFingerprint}` : 'manually'})`,
    `- Resolved: ${incident.resolvedAt ? when(incident.resolvedAt) : 'not yet'}${durationMin !== undefined ? ` (${durationMin} min after opening)` : ''}`,
    `- Root cause: ${incident.rootCause ?? 'not recorded'}`,
    '',
    '## What happened',
    '',
    alerts.length > 0
      ? `The monitor raised ${alerts.join(', ')} on ${incident.environment}.`
      : `No alert fired on ${incident.environment}; the incident was opened by hand.`,
    changes.length > 0
      ? `Changes shortly before or during the incident: ${changes.map((c) => `${c.kind} at ${when(c.at)}`).join('; ')}.`
      : 'No deploy, migration, rotation or maintenance was recorded in the 30 minutes before the incident or during it.',
    rollbacks.length > 0
      ? `prodguard ${rollbacks.map((r) => r.message).join('; ')}.`
      : 'No automatic rollback was made.',
    '',
    '## Timeline (UTC)',
    '',
    '| Time | Source | Event | By |',
    '|---|---|---|---|',
    ...timeline.map((t) => `| ${when(t.at)} | ${t.source} | ${cell(t.message)} | ${t.actor ?? ''} |`),
    '',
    '## Impact',
    '',
    `- Failed requests: ${impact.failedRequests} of ${impact.totalRequests}${pct}, between ${when(impact.from)} and ${when(impact.to)}`,
    `- Minutes degraded (an alert condition breached): ${impact.degradedMinutes}`,
    '',
    '## Contributing factors',
    '',
    `- ${incident.rootCause ?? 'Root cause not recorded.'}`,
    ...changes.map((c) => `- ${c.message} (${when(c.at)}, ${c.actor ?? 'unknown'})`),
    ...alerts.map((a) => `- Alert ${a} fired.`),
    '',
    '## Resolution',
    '',
    ...(rollbacks.length > 0 ? rollbacks.map((r) => `- ${r.message}`) : []),
    ...timeline.filter((t) => t.kind === 'status').map((t) => `- ${t.message} (${when(t.at)})`),
    ...notes.map((n) => `- Note: ${n.message} (${n.actor ?? ''})`),
    `- Resolved${incident.resolvedAt ? ` at ${when(incident.resolvedAt)}` : ''}: ${incident.rootCause ?? ''}`,
    '',
    '## Action items',
    '',
    '- [ ] Add a test that reproduces the root cause, and the fix (seed §9).',
    ...alerts.map(
      (a) => `- [ ] Check that alert ${a} fired early enough; tune its threshold or window if not.`,
    ),
    ...(changes.length > 0 ? ['- [ ] Review why the change above passed staging and the watch window.'] : []),
    '- [ ] Hold the postmortem meeting within 5 business days (blameless).',
    '',
  ];
  return lines.join('\n');
}
