import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditEventInput, AuditHead, AuditLog, AuditOutcome } from '../audit/index.js';
import type { Clock } from '../kernel/clock.js';
import { failpoint, failpointsArmed } from '../kernel/failpoints.js';
import type { StateStore } from '../store/index.js';
import {
  AUDIT_OUTCOME_OF,
  type FinishedStatus,
  type OperationKind,
  type OperationRecord,
  type OperationStatus,
  type ParamsOf,
  type StateOf,
  type StepEntry,
  type StepPhase,
} from './operation-record.js';

interface OperationRow {
  id: string;
  kind: string;
  environment: string;
  status: string;
  actor: string;
  parent_id: string | null;
  subject: string | null;
  audit_action: string;
  params: string;
  state: string;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
  error: string | null;
}

function toRecord(row: OperationRow): OperationRecord {
  return {
    id: row.id,
    kind: row.kind as OperationKind,
    environment: row.environment,
    status: row.status as OperationStatus,
    actor: row.actor,
    parentId: row.parent_id ?? undefined,
    subject: row.subject ?? undefined,
    auditAction: row.audit_action as AuditEventInput['action'],
    params: JSON.parse(row.params) as never,
    state: JSON.parse(row.state) as never,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at ?? undefined,
    error: row.error ?? undefined,
  };
}

/** What a mutating operation records in the audit trail when it starts and when it ends. */
export interface OperationAuditInput {
  action: AuditEventInput['action'];
  target?: string | undefined;
  reason?: string | undefined;
  details?: Record<string, unknown>;
}

export interface BeginOperationInput<K extends OperationKind> {
  kind: K;
  environment: string;
  actor: string;
  params: ParamsOf<K>;
  state: StateOf<K>;
  parentId?: string | undefined;
  subject?: string | undefined;
  audit: OperationAuditInput;
}

/**
 * Told when an operation starts and when it ends, after both are recorded (team notices, seed §3/§4).
 * Called synchronously; an observer that does I/O keeps its own promises and reports its own failures.
 */
export interface OperationObserver {
  started(op: OperationRecord): void;
  finished(op: OperationRecord, status: FinishedStatus, message: string): void;
}

export interface OperationQuery {
  environment?: string | undefined;
  kind?: OperationKind | undefined;
  status?: OperationStatus | undefined;
  limit?: number;
}

/**
 * The one journal of every operation kind. The audit trail is written here, in the same SQLite
 * transaction as the operation row: the intent lands with the row (no audit, no operation) and the
 * outcome with the final status. A step's journal entry is its own transaction, so a SIGKILL always
 * leaves the journal at a step boundary.
 */
export class OperationStore {
  readonly #store: StateStore;
  readonly #clock: Clock;
  readonly #audit: Pick<AuditLog, 'append'> & Partial<Pick<AuditLog, 'head'>>;
  #observer: OperationObserver | undefined;

  constructor(
    store: StateStore,
    clock: Clock,
    audit: Pick<AuditLog, 'append'> & Partial<Pick<AuditLog, 'head'>>,
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#audit = audit;
  }

  /** One observer per store: the CLI attaches the team notices here. */
  observe(observer: OperationObserver | undefined): void {
    this.#observer = observer;
  }

  get stateStore(): StateStore {
    return this.#store;
  }

  get clock(): Clock {
    return this.#clock;
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }

  /** Creates the operation and writes its intent event atomically; if the audit cannot be written, nothing starts. */
  begin<K extends OperationKind>(
    input: BeginOperationInput<K>,
  ): { op: OperationRecord<K>; intent: AuditEvent } {
    const id = `op-${this.#now().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
    const now = this.#now();
    const begun = this.#store.transaction(() => {
      this.#store.db
        .prepare(
          `INSERT INTO operations(id, kind, environment, status, actor, parent_id, subject, audit_action, params, state, started_at, updated_at)
           VALUES (?,?,?,'running',?,?,?,?,?,?,?,?)`,
        )
        .run(
          id,
          input.kind,
          input.environment,
          input.actor,
          input.parentId ?? null,
          input.subject ?? null,
          input.audit.action,
          JSON.stringify(input.params),
          JSON.stringify(input.state),
          now,
          now,
        );
      const intent = this.#audit.append({
        actor: input.actor,
        environment: input.environment,
        action: input.audit.action,
        target: input.audit.target,
        reason: input.audit.reason,
        outcome: 'started',
        details: { operationId: id, ...(input.audit.details ?? {}) },
      });
      return { op: this.get(id, input.kind)!, intent };
    });
    failpoint(`${input.kind}:begin:started`);
    this.#observer?.started(begun.op);
    return begun;
  }

  /** Final status and outcome event in one transaction; an operation never ends without its outcome recorded. */
  finish<K extends OperationKind>(
    op: OperationRecord<K>,
    status: FinishedStatus,
    outcome: {
      message: string;
      error?: string | undefined;
      audit?: Omit<OperationAuditInput, 'action'> & { action?: OperationAuditInput['action'] };
      /** Recorded instead of the status's own outcome (a run refused after it started, e.g. a lock held). */
      auditOutcome?: AuditOutcome;
    },
  ): AuditEvent {
    const now = this.#now();
    const event = this.#store.transaction(() => {
      this.#store.db
        .prepare('UPDATE operations SET status = ?, finished_at = ?, updated_at = ?, error = ? WHERE id = ?')
        .run(status, now, now, outcome.error ?? null, op.id);
      op.status = status;
      op.finishedAt = now;
      op.error = outcome.error;
      return this.#audit.append({
        actor: op.actor,
        environment: op.environment,
        action: outcome.audit?.action ?? op.auditAction,
        target: outcome.audit?.target ?? op.subject,
        reason: outcome.audit?.reason,
        outcome: outcome.auditOutcome ?? AUDIT_OUTCOME_OF[status],
        details: {
          operationId: op.id,
          message: outcome.message,
          ...(outcome.error ? { error: outcome.error } : {}),
          ...(outcome.audit?.details ?? {}),
        },
      });
    });
    this.#observer?.finished(op, status, outcome.message);
    return event;
  }

  /** The audit chain's head now: what tags, release marks and `--json` results carry as an anchor. */
  auditHead(): AuditHead | undefined {
    return this.#audit.head?.();
  }

  /** An audit event inside an operation (an override, a version added): same fail-closed path. */
  record(input: AuditEventInput): AuditEvent {
    return this.#audit.append(input);
  }

  get<K extends OperationKind>(id: string, kind?: K): OperationRecord<K> | undefined {
    const row = this.#store.db
      .prepare<[string], OperationRow>('SELECT * FROM operations WHERE id = ?')
      .get(id);
    if (!row || (kind && row.kind !== kind)) return undefined;
    return toRecord(row) as OperationRecord<K>;
  }

  /** Running operations started by nobody else's operation, oldest first. */
  running(environment?: string): OperationRecord[] {
    return this.list({ ...(environment ? { environment } : {}), status: 'running', limit: 1000 })
      .filter((op) => op.parentId === undefined)
      .reverse();
  }

  children(parentId: string): OperationRecord[] {
    return this.#store.db
      .prepare<[string], OperationRow>(
        'SELECT * FROM operations WHERE parent_id = ? ORDER BY started_at, rowid',
      )
      .all(parentId)
      .map(toRecord);
  }

  list(query: OperationQuery = {}): OperationRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.environment) {
      where.push('environment = ?');
      args.push(query.environment);
    }
    if (query.kind) {
      where.push('kind = ?');
      args.push(query.kind);
    }
    if (query.status) {
      where.push('status = ?');
      args.push(query.status);
    }
    args.push(query.limit ?? 50);
    return this.#store.db
      .prepare<(string | number)[], OperationRow>(
        `SELECT * FROM operations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, rowid DESC LIMIT ?`,
      )
      .all(...args)
      .map(toRecord);
  }

  updateState<K extends OperationKind>(op: OperationRecord<K>, state: StateOf<K>): void {
    op.state = state;
    this.#store.db
      .prepare('UPDATE operations SET state = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(state), this.#now(), op.id);
  }

  journal(operationId: string, step: string, phase: StepPhase, data: unknown = {}): void {
    this.#store.db
      .prepare('INSERT INTO operation_steps(operation_id, step, phase, at, data) VALUES (?,?,?,?,?)')
      .run(operationId, step, phase, this.#now(), JSON.stringify(data ?? {}));
    if (failpointsArmed()) failpoint(`${this.#kindOf(operationId)}:${step}:${phase}`);
  }

  readonly #kinds = new Map<string, string>();

  #kindOf(operationId: string): string {
    let kind = this.#kinds.get(operationId);
    if (!kind) {
      kind =
        this.#store.db
          .prepare<[string], { kind: string }>('SELECT kind FROM operations WHERE id = ?')
          .get(operationId)?.kind ?? 'unknown';
      this.#kinds.set(operationId, kind);
    }
    return kind;
  }

  readJournal(operationId: string): StepEntry[] {
    return this.#store.db
      .prepare<[string], { step: string; phase: string; at: string; data: string }>(
        'SELECT step, phase, at, data FROM operation_steps WHERE operation_id = ? ORDER BY id',
      )
      .all(operationId)
      .map((r) => ({
        step: r.step,
        phase: r.phase as StepPhase,
        at: r.at,
        data: JSON.parse(r.data) as unknown,
      }));
  }

  /** The last journal entry: where an interrupted operation stopped. */
  lastStep(operationId: string): StepEntry | undefined {
    const journal = this.readJournal(operationId);
    return journal[journal.length - 1];
  }
}
