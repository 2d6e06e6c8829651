import { UsageError } from '../kernel/errors.js';
import { redactText } from '../kernel/redact.js';
import type { Incident } from './incident.js';
import { badSeverity } from './incident-errors.js';
import type { IncidentPorts, IncidentSettings } from './incident-ports.js';
import { IncidentStore } from './incident-store.js';
import { planIncidentRollback, type RollbackDecision } from './plan-incident-rollback.js';
import { type IncidentSnapshot, takeIncidentSnapshot } from './take-incident-snapshot.js';

export type StepStatus = 'Success' | 'Error' | 'NotExecuted';

export interface OpenIncidentResult {
  incident: Incident;
  /** Each step of opening, so a failed snapshot or rollback is visible without hiding the rest. */
  steps: { name: 'record' | 'snapshot' | 'rollback'; status: StepStatus; detail: string }[];
  rollback: RollbackDecision & { revision?: string };
  snapshot?: IncidentSnapshot;
}

export interface OpenIncidentInput {
  environment: string;
  severity: number;
  title: string;
  actor: string;
  source?: 'manual' | 'alert';
  alertFingerprint?: string;
}

/**
 * Opens an incident (seed §10): recorded and audited, deploys frozen while its severity is within the
 * freeze level, a snapshot attached, and production rolled back when the newest deploy is recent.
 */
export async function openIncident(
  ports: IncidentPorts,
  settings: IncidentSettings,
  raw: OpenIncidentInput,
): Promise<OpenIncidentResult> {
  const input = { ...raw, title: redactText(raw.title, ports.knownSecrets?.() ?? []) };
  if (!Number.isInteger(input.severity) || input.severity < 1 || input.severity > 5)
    throw badSeverity(input.severity);
  if (!input.title.trim()) {
    throw new UsageError('PRODGUARD_INCIDENT_TITLE', 'An incident needs a title.', {
      hint: 'Say what users see, e.g. prodguard incident open --sev 2 "API answers 503 on /resumes"',
    });
  }
  const store = new IncidentStore(ports.store);
  const freezes = input.severity <= settings.freezeSeverity;
  // The audit intent comes first: no audit, no incident.
  ports.audit.append({
    actor: input.actor,
    environment: input.environment,
    action: 'incident.open',
    target: input.title,
    outcome: 'started',
    details: { severity: input.severity, freezesDeploys: freezes, source: input.source ?? 'manual' },
  });
  const now = ports.clock.now().toISOString();
  const incident = store.insert({
    environment: input.environment,
    title: input.title,
    severity: input.severity,
    status: 'open',
    freezesDeploys: freezes,
    source: input.source ?? 'manual',
    alertFingerprint: input.alertFingerprint ?? null,
    openedBy: input.actor,
    openedAt: now,
  });
  store.addEvent({
    incidentId: incident.id,
    at: now,
    kind: 'opened',
    actor: input.actor,
    message: `SEV-${input.severity} opened: ${input.title}${freezes ? ` (deploys to ${input.environment} frozen)` : ''}`,
    details: { source: incident.source, alert: incident.alertFingerprint },
  });
  const steps: OpenIncidentResult['steps'] = [
    { name: 'record', status: 'Success', detail: `#${incident.id}` },
  ];

  let snapshot: IncidentSnapshot | undefined;
  try {
    snapshot = await takeIncidentSnapshot(ports, input.environment);
    store.writeSnapshot(incident.id, snapshot);
    store.addEvent({
      incidentId: incident.id,
      at: ports.clock.now().toISOString(),
      kind: 'snapshot',
      actor: 'prodguard',
      message: `snapshot: ${snapshot.revisions.length} revisions, ${snapshot.firingAlerts.length} firing alerts, logs of ${Object.keys(snapshot.logs).length} revisions${snapshot.gaps.length ? `; gaps: ${snapshot.gaps.join('; ')}` : ''}`,
    });
    steps.push({
      name: 'snapshot',
      status: 'Success',
      detail: snapshot.gaps.length ? `with gaps: ${snapshot.gaps.join('; ')}` : 'complete',
    });
  } catch (error) {
    steps.push({
      name: 'snapshot',
      status: 'Error',
      detail: error instanceof Error ? error.message : String(error),
    });
  }

  const serving = snapshot?.traffic
    .filter((t) => t.percent > 0)
    .map((t) => ({
      revision: t.revision,
      createdAt: snapshot!.revisions.find((r) => r.name === t.revision)?.createdAt ?? '',
    }))
    .filter((r) => r.createdAt !== '');
  const decision = planIncidentRollback({
    environment: input.environment,
    productionEnvironments: settings.productionEnvironments,
    serving: serving ?? [],
    nowMs: ports.clock.nowMs(),
    windowMs: settings.rollbackWindowMs,
  });
  const rollback: OpenIncidentResult['rollback'] = { ...decision };
  if (!decision.rollback) {
    steps.push({ name: 'rollback', status: 'NotExecuted', detail: decision.reason });
  } else if (!ports.rollback) {
    steps.push({
      name: 'rollback',
      status: 'NotExecuted',
      detail: `${decision.reason}, but no rollback is wired for this platform`,
    });
  } else {
    try {
      const done = await ports.rollback(input.environment, `incident #${incident.id}: ${input.title}`);
      rollback.revision = done.revision;
      steps.push({ name: 'rollback', status: 'Success', detail: done.message });
      store.addEvent({
        incidentId: incident.id,
        at: ports.clock.now().toISOString(),
        kind: 'rollback',
        actor: 'prodguard',
        message: `rolled back to ${done.revision}: ${decision.reason}`,
      });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      steps.push({ name: 'rollback', status: 'Error', detail });
      store.addEvent({
        incidentId: incident.id,
        at: ports.clock.now().toISOString(),
        kind: 'rollback',
        actor: 'prodguard',
        message: `rollback failed: ${detail}`,
      });
    }
  }
  ports.audit.append({
    actor: input.actor,
    environment: input.environment,
    action: 'incident.open',
    target: `#${incident.id}`,
    outcome: steps.some((s) => s.status === 'Error') ? 'failed' : 'success',
    details: {
      severity: input.severity,
      steps: steps.map((s) => `${s.name}:${s.status}`),
      rollback: rollback.revision ?? null,
    },
  });
  return { incident: store.get(incident.id)!, steps, rollback, ...(snapshot ? { snapshot } : {}) };
}
