/** Seed §10 incident record. Status moves open → investigating → mitigated → resolved (never back from resolved). */
export type IncidentStatus = 'open' | 'investigating' | 'mitigated' | 'resolved';
export const INCIDENT_STATUSES: readonly IncidentStatus[] = [
  'open',
  'investigating',
  'mitigated',
  'resolved',
];

export interface Incident {
  id: number;
  environment: string;
  title: string;
  /** 1 (worst) … 5. */
  severity: number;
  status: IncidentStatus;
  /** True while the severity is within the freeze level and the incident is not resolved. */
  freezesDeploys: boolean;
  source: 'manual' | 'alert';
  alertFingerprint: string | null;
  openedBy: string;
  openedAt: string;
  mitigatedAt: string | null;
  resolvedAt: string | null;
  rootCause: string | null;
  postmortemPath: string | null;
}

export type IncidentEventKind =
  | 'opened'
  | 'snapshot'
  | 'rollback'
  | 'note'
  | 'status'
  | 'alert'
  | 'deploy'
  | 'resolved'
  | 'postmortem';

export interface IncidentEvent {
  id: number;
  incidentId: number;
  at: string;
  kind: IncidentEventKind;
  actor: string;
  message: string;
  details: Record<string, unknown>;
}
