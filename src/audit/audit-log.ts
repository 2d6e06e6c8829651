import type { Clock } from '../kernel/clock.js';
import { redactValue } from '../kernel/redact.js';
import type { StateStore } from '../store/state-store.js';
import { AuditUnavailableError } from './audit-errors.js';
import { type AuditEvent, type AuditEventInput, type AuditHead, GENESIS_HASH } from './audit-event.js';
import { hashAuditEvent } from './audit-hash.js';

/** A row of the audit table as SQLite returns it. */
export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  environment: string | null;
  action: string;
  target: string | null;
  reason: string | null;
  outcome: string;
  details: string;
  prev_hash: string;
  hash: string;
}

function toEvent(row: AuditRow): AuditEvent {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    environment: row.environment,
    action: row.action,
    target: row.target,
    reason: row.reason,
    outcome: row.outcome as AuditEvent['outcome'],
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface AuditQuery {
  environment?: string;
  since?: Date;
  limit?: number;
}

/**
 * The append-only, hash-chained audit trail. Appends take SQLite's write lock, so concurrent
 * prodguard processes still produce one gap-free chain.
 */
export class AuditLog {
  readonly #store: StateStore;
  readonly #clock: Clock;
  readonly #knownSecrets: () => readonly string[];

  constructor(store: StateStore, clock: Clock, knownSecrets: () => readonly string[] = () => []) {
    this.#store = store;
    this.#clock = clock;
    this.#knownSecrets = knownSecrets;
  }

  /**
   * Appends one event, or throws {@link AuditUnavailableError} (never an SqliteError): callers write the
   * intent before acting, so a failed append stops the action before it starts.
   */
  append(input: AuditEventInput): AuditEvent {
    try {
      return this.#append(input);
    } catch (cause) {
      throw new AuditUnavailableError(
        `Could not record ${input.action} (${input.outcome})`,
        this.#store.path,
        cause,
      );
    }
  }

  /** The newest event's seq and hash as the head record has them; undefined before the first event. */
  head(): AuditHead | undefined {
    return this.#read('Could not read the audit head', () =>
      this.#store.db.prepare<[], AuditHead>('SELECT seq, hash FROM audit_head WHERE id = 1').get(),
    );
  }

  /**
   * Runs fn in one store transaction: a state change made in the state store and the audit event that
   * records it commit together or not at all.
   */
  atomically<T>(fn: () => T): T {
    return this.#store.transaction(fn);
  }

  #read<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw new AuditUnavailableError(what, this.#store.path, cause, 'read');
    }
  }

  #append(input: AuditEventInput): AuditEvent {
    const db = this.#store.db;
    // Secrets never enter the chain: details, target and reason are scrubbed before hashing.
    const known = this.#knownSecrets();
    const details = redactValue(input.details ?? {}, known);
    return this.#store.transaction(() => {
      const head = db
        .prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1')
        .get();
      const partial: Omit<AuditEvent, 'hash'> = {
        seq: (head?.seq ?? 0) + 1,
        at: this.#clock.now().toISOString(),
        actor: input.actor,
        environment: input.environment ?? null,
        action: input.action,
        target: input.target === undefined ? null : redactValue(input.target, known),
        reason: input.reason === undefined ? null : redactValue(input.reason, known),
        outcome: input.outcome,
        details: JSON.parse(JSON.stringify(details)) as Record<string, unknown>,
        prevHash: head?.hash ?? GENESIS_HASH,
      };
      const event: AuditEvent = { ...partial, hash: hashAuditEvent(partial) };
      db.prepare(
        'INSERT INTO audit_events(seq, at, actor, environment, action, target, reason, outcome, details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
      ).run(
        event.seq,
        event.at,
        event.actor,
        event.environment,
        event.action,
        event.target,
        event.reason,
        event.outcome,
        JSON.stringify(event.details),
        event.prevHash,
        event.hash,
      );
      db.prepare(
        'INSERT INTO audit_head(id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
      ).run(event.seq, event.hash);
      return event;
    });
  }

  list(query: AuditQuery = {}): AuditEvent[] {
    return this.#read('Could not read the audit log', () => this.#list(query));
  }

  #list(query: AuditQuery): AuditEvent[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.environment) {
      where.push('environment = ?');
      params.push(query.environment);
    }
    if (query.since) {
      where.push('at >= ?');
      params.push(query.since.toISOString());
    }
    const sql = `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${query.limit ? `DESC LIMIT ${Math.floor(query.limit)}` : 'ASC'}`;
    const rows = this.#store.db
      .prepare<unknown[], AuditRow>(sql)
      .all(...params)
      .map(toEvent);
    return query.limit ? rows.reverse() : rows;
  }

  /** Raw rows in storage order, for verification (rowid order shows insertions that seq alone would hide). */
  readAllForVerification(): { events: AuditEvent[]; head: AuditHead | undefined } {
    return this.#read('Could not read the audit log', () => this.#readAll());
  }

  #readAll(): { events: AuditEvent[]; head: AuditHead | undefined } {
    const events = this.#store.db
      .prepare<[], AuditRow>('SELECT * FROM audit_events ORDER BY seq ASC')
      .all()
      .map(toEvent);
    const head = this.#store.db
      .prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1')
      .get();
    return { events, head };
  }
}
