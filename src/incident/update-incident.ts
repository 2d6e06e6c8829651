import { UsageError } from '../kernel/errors.js';
import { redactText } from '../kernel/redact.js';
import type { Incident, IncidentStatus } from './incident.js';
import { incidentNotFound, incidentResolved } from './incident-errors.js';
import type { IncidentPorts } from './incident-ports.js';
import { IncidentStore } from './incident-store.js';

function openIncidentById(store: IncidentStore, id: number): Incident {
  const incident = store.get(id);
  if (!incident) throw incidentNotFound(id);
  if (incident.status === 'resolved') throw incidentResolved(id);
  return incident;
}

/** `incident note`: a line in the timeline, audited. */
export function addIncidentNote(
  ports: Pick<IncidentPorts, 'store' | 'clock' | 'audit' | 'knownSecrets'>,
  raw: { id: number; text: string; actor: string },
) {
  // Notes are typed in a hurry: a pasted connection string must not stay in the timeline or the postmortem.
  const input = { ...raw, text: redactText(raw.text, ports.knownSecrets?.() ?? []) };
  const store = new IncidentStore(ports.store);
  const incident = openIncidentById(store, input.id);
  if (!input.text.trim()) {
    throw new UsageError('PRODGUARD_INCIDENT_NOTE_EMPTY', 'The note is empty.', {
      hint: 'prodguard incident note 3 "restarted the pool; errors dropping"',
    });
  }
  ports.audit.append({
    actor: input.actor,
    environment: incident.environment,
    action: 'incident.note',
    target: `#${incident.id}`,
    outcome: 'success',
    details: { text: input.text },
  });
  return store.addEvent({
    incidentId: incident.id,
    at: ports.clock.now().toISOString(),
    kind: 'note',
    actor: input.actor,
    message: input.text,
  });
}

const SETTABLE: readonly IncidentStatus[] = ['investigating', 'mitigated'];

/** `incident status investigating|mitigated`; resolving goes through `incident resolve` (it needs a root cause). */
export function setIncidentStatus(
  ports: Pick<IncidentPorts, 'store' | 'clock' | 'audit' | 'knownSecrets'>,
  raw: { id: number; status: string; actor: string; note?: string },
): Incident {
  const input = raw.note ? { ...raw, note: redactText(raw.note, ports.knownSecrets?.() ?? []) } : raw;
  if (input.status === 'resolved') {
    throw new UsageError(
      'PRODGUARD_INCIDENT_RESOLVE_NEEDS_CAUSE',
      'An incident is resolved with its root cause.',
      {
        hint: `prodguard incident resolve ${input.id} --root-cause "<what broke and why>"`,
      },
    );
  }
  if (!SETTABLE.includes(input.status as IncidentStatus)) {
    throw new UsageError('PRODGUARD_INCIDENT_STATUS', `"${input.status}" is not an incident status.`, {
      hint: 'Use investigating, mitigated or resolved.',
    });
  }
  const store = new IncidentStore(ports.store);
  const incident = openIncidentById(store, input.id);
  const status = input.status as IncidentStatus;
  const now = ports.clock.now().toISOString();
  ports.audit.append({
    actor: input.actor,
    environment: incident.environment,
    action: 'incident.status',
    target: `#${incident.id}`,
    outcome: 'success',
    details: { from: incident.status, to: status },
  });
  store.addEvent({
    incidentId: incident.id,
    at: now,
    kind: 'status',
    actor: input.actor,
    message: `status ${incident.status} → ${status}${input.note ? `: ${input.note}` : ''}`,
  });
  return store.update(incident.id, {
    status,
    ...(status === 'mitigated' && !incident.mitigatedAt ? { mitigatedAt: now } : {}),
  });
}
