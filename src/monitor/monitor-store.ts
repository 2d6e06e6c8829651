import type { StateStore } from '../store/index.js';
import type { AlertRecord, AlertTransition } from './alert-lifecycle.js';
import type { ProbeStatus } from './evaluate-rules.js';
import type { DeliveryRecord } from './notifiers/deliver-notification.js';
import type { NotificationMessage } from './notifiers/notification-message.js';
import type { GroupState } from './plan-group-notification.js';
import type { ProbeResult } from './probes/probe-result.js';
import type { Silence } from './silence-matchers.js';

interface AlertRow {
  fingerprint: string;
  rule: string;
  environment: string;
  severity: string;
  labels: string;
  state: string;
  condition: string;
  active_since: number | null;
  firing_since: number | null;
  last_breach_at: number | null;
  resolved_at: number | null;
  value: number | null;
  threshold: number;
  summary: string;
  updated_at: number;
}

const toAlert = (r: AlertRow): AlertRecord => ({
  fingerprint: r.fingerprint,
  rule: r.rule,
  environment: r.environment,
  severity: r.severity as AlertRecord['severity'],
  labels: JSON.parse(r.labels) as Record<string, string>,
  state: r.state as AlertRecord['state'],
  condition: r.condition as AlertRecord['condition'],
  activeSince: r.active_since,
  firingSince: r.firing_since,
  lastBreachAt: r.last_breach_at,
  resolvedAt: r.resolved_at,
  value: r.value,
  threshold: r.threshold,
  summary: r.summary,
  updatedAt: r.updated_at,
});

interface SilenceRow {
  id: string;
  matchers: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  reason: string;
  expired_at: number | null;
}

const toSilence = (r: SilenceRow): Silence => ({
  id: r.id,
  matchers: JSON.parse(r.matchers) as Silence['matchers'],
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  createdBy: r.created_by,
  reason: r.reason,
  expiredAt: r.expired_at,
});

export interface ProbeResultRow {
  environment: string;
  probe: string;
  kind: ProbeStatus['kind'];
  ok: boolean;
  state: ProbeStatus['state'];
  latencyMs: number;
  status: number | null;
  error: string | null;
  at: number;
}

/** The monitor's state in the SQLite state store: what `alerts`, `silence` and the incident snapshot read. */
export class MonitorStore {
  readonly #store: StateStore;
  constructor(store: StateStore) {
    this.#store = store;
  }

  readAlerts(filter: { environment?: string; states?: readonly AlertRecord['state'][] } = {}): AlertRecord[] {
    const rows = this.#store.db
      .prepare<[], AlertRow>('SELECT * FROM monitor_alerts ORDER BY environment, rule, fingerprint')
      .all()
      .map(toAlert);
    return rows.filter(
      (a) =>
        (!filter.environment || a.environment === filter.environment) &&
        (!filter.states || filter.states.includes(a.state)),
    );
  }

  writeAlerts(alerts: readonly AlertRecord[], transitions: readonly AlertTransition[]): void {
    const upsert = this.#store.db.prepare(
      `INSERT INTO monitor_alerts(fingerprint, rule, environment, severity, labels, state, condition, active_since, firing_since, last_breach_at, resolved_at, value, threshold, summary, updated_at)
       VALUES (@fingerprint, @rule, @environment, @severity, @labels, @state, @condition, @activeSince, @firingSince, @lastBreachAt, @resolvedAt, @value, @threshold, @summary, @updatedAt)
       ON CONFLICT(fingerprint) DO UPDATE SET severity = excluded.severity, labels = excluded.labels, state = excluded.state,
         condition = excluded.condition, active_since = excluded.active_since, firing_since = excluded.firing_since,
         last_breach_at = excluded.last_breach_at, resolved_at = excluded.resolved_at, value = excluded.value,
         threshold = excluded.threshold, summary = excluded.summary, updated_at = excluded.updated_at`,
    );
    const insertTransition = this.#store.db.prepare(
      'INSERT INTO monitor_alert_transitions(fingerprint, rule, environment, kind, at, value, summary) VALUES (?,?,?,?,?,?,?)',
    );
    this.#store.transaction(() => {
      for (const a of alerts) upsert.run({ ...a, labels: JSON.stringify(a.labels) });
      for (const t of transitions)
        insertTransition.run(t.fingerprint, t.rule, t.environment, t.kind, t.at, t.value, t.summary);
    });
  }

  readTransitions(
    filter: { environment?: string; sinceMs?: number; limit?: number } = {},
  ): AlertTransition[] {
    return this.#store.db
      .prepare<[string | null, string | null, number, number], AlertTransition>(
        `SELECT fingerprint, rule, environment, kind, at, value, summary FROM monitor_alert_transitions
         WHERE (? IS NULL OR environment = ?) AND at >= ? ORDER BY id DESC LIMIT ?`,
      )
      .all(filter.environment ?? null, filter.environment ?? null, filter.sinceMs ?? 0, filter.limit ?? 1000)
      .reverse();
  }

  readGroup(environment: string): GroupState | undefined {
    const row = this.#store.db
      .prepare<[string], { state: string }>('SELECT state FROM monitor_groups WHERE environment = ?')
      .get(environment);
    return row ? (JSON.parse(row.state) as GroupState) : undefined;
  }

  writeGroup(group: GroupState): void {
    this.#store.db
      .prepare(
        'INSERT INTO monitor_groups(environment, state) VALUES (?, ?) ON CONFLICT(environment) DO UPDATE SET state = excluded.state',
      )
      .run(group.environment, JSON.stringify(group));
  }

  insertSilence(silence: Silence): void {
    this.#store.db
      .prepare(
        'INSERT INTO monitor_silences(id, matchers, starts_at, ends_at, created_by, reason, expired_at) VALUES (?,?,?,?,?,?,?)',
      )
      .run(
        silence.id,
        JSON.stringify(silence.matchers),
        silence.startsAt,
        silence.endsAt,
        silence.createdBy,
        silence.reason,
        silence.expiredAt,
      );
  }

  readSilences(): Silence[] {
    return this.#store.db
      .prepare<[], SilenceRow>('SELECT * FROM monitor_silences ORDER BY starts_at, id')
      .all()
      .map(toSilence);
  }

  expireSilence(id: string, atMs: number): boolean {
    return (
      this.#store.db
        .prepare('UPDATE monitor_silences SET expired_at = ? WHERE id = ? AND expired_at IS NULL')
        .run(atMs, id).changes === 1
    );
  }

  insertNotification(message: NotificationMessage, atMs: number): void {
    this.#store.db
      .prepare(
        'INSERT INTO monitor_notifications(id, environment, kind, severity, title, payload, created_at) VALUES (?,?,?,?,?,?,?)',
      )
      .run(
        message.id,
        message.environment,
        message.kind,
        message.severity,
        message.title,
        JSON.stringify(message.payload),
        atMs,
      );
  }

  readNotifications(filter: { environment?: string; limit?: number } = {}): {
    id: string;
    environment: string;
    kind: string;
    severity: string;
    title: string;
    createdAt: number;
  }[] {
    return this.#store.db
      .prepare<
        [string | null, string | null, number],
        { id: string; environment: string; kind: string; severity: string; title: string; createdAt: number }
      >(
        `SELECT id, environment, kind, severity, title, created_at AS createdAt FROM monitor_notifications
         WHERE (? IS NULL OR environment = ?) ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      )
      .all(filter.environment ?? null, filter.environment ?? null, filter.limit ?? 100)
      .reverse();
  }

  recordDelivery(d: DeliveryRecord): void {
    this.#store.db
      .prepare(
        `INSERT INTO monitor_deliveries(id, notification_id, notifier, kind, environment, status, attempts, last_error, created_at, updated_at)
         VALUES (@id, @notificationId, @notifier, @kind, @environment, @status, @attempts, @lastError, @createdAt, @updatedAt)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, last_error = excluded.last_error, updated_at = excluded.updated_at`,
      )
      .run(d);
  }

  readDeliveries(
    filter: { environment?: string; status?: DeliveryRecord['status']; limit?: number } = {},
  ): DeliveryRecord[] {
    return this.#store.db
      .prepare<[string | null, string | null, string | null, string | null, number], DeliveryRecord>(
        `SELECT id, notification_id AS notificationId, notifier, kind, environment, status, attempts, last_error AS lastError,
                created_at AS createdAt, updated_at AS updatedAt
         FROM monitor_deliveries WHERE (? IS NULL OR environment = ?) AND (? IS NULL OR status = ?)
         ORDER BY updated_at DESC, rowid DESC LIMIT ?`,
      )
      .all(
        filter.environment ?? null,
        filter.environment ?? null,
        filter.status ?? null,
        filter.status ?? null,
        filter.limit ?? 100,
      )
      .reverse();
  }

  recordProbeResult(
    row: {
      environment: string;
      probe: string;
      kind: ProbeStatus['kind'];
      state: ProbeStatus['state'];
      at: number;
    },
    result: ProbeResult,
  ): void {
    this.#store.db
      .prepare(
        'INSERT INTO monitor_probe_results(environment, probe, kind, ok, state, latency_ms, status, error, at) VALUES (?,?,?,?,?,?,?,?,?)',
      )
      .run(
        row.environment,
        row.probe,
        row.kind,
        result.ok ? 1 : 0,
        row.state,
        result.latencyMs,
        result.status ?? null,
        result.error ?? null,
        row.at,
      );
  }

  readProbeResults(filter: { environment?: string; limit?: number } = {}): ProbeResultRow[] {
    return this.#store.db
      .prepare<[string | null, string | null, number], Omit<ProbeResultRow, 'ok'> & { ok: number }>(
        `SELECT environment, probe, kind, ok, state, latency_ms AS latencyMs, status, error, at FROM monitor_probe_results
         WHERE (? IS NULL OR environment = ?) ORDER BY at DESC, id DESC LIMIT ?`,
      )
      .all(filter.environment ?? null, filter.environment ?? null, filter.limit ?? 100)
      .map((r) => ({ ...r, ok: r.ok === 1 }))
      .reverse();
  }

  /**
   * One monitor per state store: two engines would step the same alerts and group states against each
   * other. Claims (or renews) the lease; returns the current holder when another live monitor has it.
   */
  claimLease(
    owner: string,
    nowMs: number,
    ttlMs: number,
  ): { ok: true } | { ok: false; holder: string; expiresAt: number } {
    return this.#store.transaction(() => {
      const row = this.#store.db
        .prepare<[], { owner: string; expires_at: number }>(
          'SELECT owner, expires_at FROM monitor_lease WHERE id = 1',
        )
        .get();
      if (row && row.owner !== owner && row.expires_at > nowMs)
        return { ok: false as const, holder: row.owner, expiresAt: row.expires_at };
      this.#store.db
        .prepare(
          'INSERT INTO monitor_lease(id, owner, expires_at) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at',
        )
        .run(owner, nowMs + ttlMs);
      return { ok: true as const };
    });
  }

  releaseLease(owner: string): void {
    this.#store.db.prepare('DELETE FROM monitor_lease WHERE id = 1 AND owner = ?').run(owner);
  }

  /** Adds a tick's request and error increases to its minute (impact figures for postmortems). */
  addTraffic(environment: string, atMs: number, requests: number, errors: number): void {
    if (requests === 0 && errors === 0) return;
    this.#store.db
      .prepare(
        `INSERT INTO monitor_traffic(environment, minute, requests, errors) VALUES (?,?,?,?)
         ON CONFLICT(environment, minute) DO UPDATE SET requests = requests + excluded.requests, errors = errors + excluded.errors`,
      )
      .run(environment, Math.floor(atMs / 60_000), requests, errors);
  }

  /** Requests and failed requests per minute between two instants. */
  readTraffic(
    environment: string,
    fromMs: number,
    toMs: number,
  ): { minute: number; requests: number; errors: number }[] {
    return this.#store.db
      .prepare<[string, number, number], { minute: number; requests: number; errors: number }>(
        'SELECT minute, requests, errors FROM monitor_traffic WHERE environment = ? AND minute >= ? AND minute <= ? ORDER BY minute',
      )
      .all(environment, Math.floor(fromMs / 60_000), Math.floor(toMs / 60_000));
  }

  /** Keeps the probe history and traffic minutes bounded. */
  prune(beforeMs: number): void {
    this.#store.db.prepare('DELETE FROM monitor_probe_results WHERE at < ?').run(beforeMs);
    this.#store.db.prepare('DELETE FROM monitor_traffic WHERE minute < ?').run(Math.floor(beforeMs / 60_000));
  }
}
