import type { StateStore } from '../store/index.js';
import type { Incident, IncidentEvent, IncidentEventKind, IncidentStatus } from './incident.js';

interface IncidentRow {
  id: number;
  environment: string;
  title: string;
  severity: number;
  status: string;
  freezes_deploys: number;
  source: string;
  alert_fingerprint: string | null;
  opened_by: string;
  opened_at: string;
  mitigated_at: string | null;
  resolved_at: string | null;
  root_cause: string | null;
  postmortem_path: string | null;
}

const toIncident = (r: IncidentRow): Incident => ({
  id: r.id,
  environment: r.environment,
  title: r.title,
  severity: r.severity,
  status: r.status as IncidentStatus,
  freezesDeploys: r.freezes_deploys === 1,
  source: r.source as Incident['source'],
  alertFingerprint: r.alert_fingerprint,
  openedBy: r.opened_by,
  openedAt: r.opened_at,
  mitigatedAt: r.mitigated_at,
  resolvedAt: r.resolved_at,
  rootCause: r.root_cause,
  postmortemPath: r.postmortem_path,
});

const COLUMNS =
  'id, environment, title, severity, status, freezes_deploys, source, alert_fingerprint, opened_by, opened_at, mitigated_at, resolved_at, root_cause, postmortem_path';

/** The incident tables of the state store. */
export class IncidentStore {
  readonly #store: StateStore;
  constructor(store: StateStore) {
    this.#store = store;
  }

  get stateStore(): StateStore {
    return this.#store;
  }

  insert(
    input: Omit<Incident, 'id' | 'mitigatedAt' | 'resolvedAt' | 'rootCause' | 'postmortemPath'>,
  ): Incident {
    const info = this.#store.db
      .prepare(
        'INSERT INTO incidents(environment, title, severity, status, freezes_deploys, source, alert_fingerprint, opened_by, opened_at) VALUES (?,?,?,?,?,?,?,?,?)',
      )
      .run(
        input.environment,
        input.title,
        input.severity,
        input.status,
        input.freezesDeploys ? 1 : 0,
        input.source,
        input.alertFingerprint,
        input.openedBy,
        input.openedAt,
      );
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): Incident | undefined {
    const row = this.#store.db
      .prepare<[number], IncidentRow>(`SELECT ${COLUMNS} FROM incidents WHERE id = ?`)
      .get(id);
    return row ? toIncident(row) : undefined;
  }

  list(filter: { environment?: string; openOnly?: boolean } = {}): Incident[] {
    return this.#store.db
      .prepare<[], IncidentRow>(`SELECT ${COLUMNS} FROM incidents ORDER BY id`)
      .all()
      .map(toIncident)
      .filter(
        (i) =>
          (!filter.environment || i.environment === filter.environment) &&
          (!filter.openOnly || i.status !== 'resolved'),
      );
  }

  /** The open incident opened by this alert, so a flapping alert does not open a second one. */
  openForAlert(fingerprint: string): Incident | undefined {
    return this.list({ openOnly: true }).find((i) => i.alertFingerprint === fingerprint);
  }

  update(
    id: number,
    fields: Partial<
      Pick<
        Incident,
        'status' | 'freezesDeploys' | 'mitigatedAt' | 'resolvedAt' | 'rootCause' | 'postmortemPath'
      >
    >,
  ): Incident {
    const sets: string[] = [];
    const params: (string | number | null)[] = [];
    const map: Record<string, string> = {
      status: 'status',
      freezesDeploys: 'freezes_deploys',
      mitigatedAt: 'mitigated_at',
      resolvedAt: 'resolved_at',
      rootCause: 'root_cause',
      postmortemPath: 'postmortem_path',
    };
    for (const [key, value] of Object.entries(fields)) {
      sets.push(`${map[key]} = ?`);
      params.push(typeof value === 'boolean' ? (value ? 1 : 0) : (value as string | null));
    }
    if (sets.length > 0)
      this.#store.db.prepare(`UPDATE incidents SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
    return this.get(id)!;
  }

  writeSnapshot(id: number, snapshot: unknown): void {
    this.#store.db
      .prepare('UPDATE incidents SET snapshot = ? WHERE id = ?')
      .run(JSON.stringify(snapshot), id);
  }

  readSnapshot(id: number): unknown {
    const row = this.#store.db
      .prepare<[number], { snapshot: string | null }>('SELECT snapshot FROM incidents WHERE id = ?')
      .get(id);
    return row?.snapshot ? (JSON.parse(row.snapshot) as unknown) : undefined;
  }

  addEvent(input: {
    incidentId: number;
    at: string;
    kind: IncidentEventKind;
    actor: string;
    message: string;
    details?: Record<string, unknown>;
  }): IncidentEvent {
    const info = this.#store.db
      .prepare(
        'INSERT INTO incident_events(incident_id, at, kind, actor, message, details) VALUES (?,?,?,?,?,?)',
      )
      .run(
        input.incidentId,
        input.at,
        input.kind,
        input.actor,
        input.message,
        JSON.stringify(input.details ?? {}),
      );
    return {
      id: Number(info.lastInsertRowid),
      incidentId: input.incidentId,
      at: input.at,
      kind: input.kind,
      actor: input.actor,
      message: input.message,
      details: input.details ?? {},
    };
  }

  events(incidentId: number): IncidentEvent[] {
    return this.#store.db
      .prepare<
        [number],
        {
          id: number;
          incident_id: number;
          at: string;
          kind: string;
          actor: string;
          message: string;
          details: string;
        }
      >('SELECT * FROM incident_events WHERE incident_id = ? ORDER BY at, id')
      .all(incidentId)
      .map((r) => ({
        id: r.id,
        incidentId: r.incident_id,
        at: r.at,
        kind: r.kind as IncidentEventKind,
        actor: r.actor,
        message: r.message,
        details: JSON.parse(r.details) as Record<string, unknown>,
      }));
  }
}
