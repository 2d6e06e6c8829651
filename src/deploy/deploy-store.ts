import { randomUUID } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import type { TrafficTarget } from '../platform/index.js';
import type { StateStore } from '../store/index.js';
import type { Breach } from './analyze-sample.js';
import type { OperationKind } from './deploy-events.js';

export type OperationStatus = 'running' | 'succeeded' | 'rolled-back' | 'aborted' | 'failed';

/** What a deploy has learnt so far; journaled so `resume` can continue from it. */
export interface OperationState {
  commit?: string;
  digest?: string;
  revision?: string;
  /** The revision traffic returns to on a breach (the last known-good, kept warm). */
  stableRevision?: string;
  [key: string]: unknown;
}

export interface OperationRecord {
  id: string;
  environment: string;
  kind: OperationKind;
  status: OperationStatus;
  actor: string;
  params: Record<string, unknown>;
  state: OperationState;
  trafficBefore: TrafficTarget[];
  startedAt: string;
  updatedAt: string;
  finishedAt: string | undefined;
  error: string | undefined;
}

export interface JournalEntry {
  step: string;
  phase: 'before' | 'after' | 'error';
  at: string;
  data: Record<string, unknown>;
}

export type RevisionVerdictKind = 'known-good' | 'failed' | 'rolled-back' | 'retired';

export interface RevisionVerdictRecord {
  environment: string;
  revision: string;
  verdict: RevisionVerdictKind;
  digest: string;
  commit: string;
  operationId: string | undefined;
  at: string;
  details: Record<string, unknown>;
}

export interface VerificationRecord {
  environment: string;
  digest: string;
  commit: string;
  revision: string;
  checks: string[];
  windowMs: number;
  at: string;
  actor: string;
  operationId: string | undefined;
}

interface OperationRow {
  id: string;
  environment: string;
  kind: string;
  status: string;
  actor: string;
  params: string;
  state: string;
  traffic_before: string;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
  error: string | null;
}

function toOperation(row: OperationRow): OperationRecord {
  return {
    id: row.id,
    environment: row.environment,
    kind: row.kind as OperationKind,
    status: row.status as OperationStatus,
    actor: row.actor,
    params: JSON.parse(row.params) as Record<string, unknown>,
    state: JSON.parse(row.state) as OperationState,
    trafficBefore: JSON.parse(row.traffic_before) as TrafficTarget[],
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at ?? undefined,
    error: row.error ?? undefined,
  };
}

/**
 * The deploy domain's tables: operations and their step journal, revision verdicts, verification
 * records, breaches, and rows in the core release_marks table. Every write is its own transaction,
 * so a SIGKILL leaves the journal at a step boundary.
 */
export class DeployStore {
  readonly #store: StateStore;
  readonly #clock: Clock;

  constructor(store: StateStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  get stateStore(): StateStore {
    return this.#store;
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }

  createOperation(input: {
    environment: string;
    kind: OperationKind;
    actor: string;
    params: Record<string, unknown>;
    trafficBefore: TrafficTarget[];
    state?: OperationState;
  }): OperationRecord {
    const id = `op-${this.#clock.now().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
    const now = this.#now();
    this.#store.db
      .prepare(
        'INSERT INTO deploy_operations(id, environment, kind, status, actor, params, state, traffic_before, started_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)',
      )
      .run(
        id,
        input.environment,
        input.kind,
        'running',
        input.actor,
        JSON.stringify(input.params),
        JSON.stringify(input.state ?? {}),
        JSON.stringify(input.trafficBefore),
        now,
        now,
      );
    return this.getOperation(id)!;
  }

  getOperation(id: string): OperationRecord | undefined {
    const row = this.#store.db
      .prepare<[string], OperationRow>('SELECT * FROM deploy_operations WHERE id = ?')
      .get(id);
    return row ? toOperation(row) : undefined;
  }

  /** Operations still marked running. Whoever holds the environment lock knows these were interrupted. */
  runningOperations(environment: string): OperationRecord[] {
    return this.#store.db
      .prepare<[string], OperationRow>(
        "SELECT * FROM deploy_operations WHERE environment = ? AND status = 'running' ORDER BY started_at",
      )
      .all(environment)
      .map(toOperation);
  }

  listOperations(environment?: string, limit = 20): OperationRecord[] {
    const rows = environment
      ? this.#store.db
          .prepare<[string, number], OperationRow>(
            'SELECT * FROM deploy_operations WHERE environment = ? ORDER BY started_at DESC, rowid DESC LIMIT ?',
          )
          .all(environment, limit)
      : this.#store.db
          .prepare<[number], OperationRow>(
            'SELECT * FROM deploy_operations ORDER BY started_at DESC, rowid DESC LIMIT ?',
          )
          .all(limit);
    return rows.map(toOperation);
  }

  updateState(id: string, state: OperationState): void {
    this.#store.db
      .prepare('UPDATE deploy_operations SET state = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(state), this.#now(), id);
  }

  finishOperation(id: string, status: Exclude<OperationStatus, 'running'>, error?: string): void {
    const now = this.#now();
    this.#store.db
      .prepare(
        'UPDATE deploy_operations SET status = ?, finished_at = ?, updated_at = ?, error = ? WHERE id = ?',
      )
      .run(status, now, now, error ?? null, id);
  }

  journal(
    operationId: string,
    step: string,
    phase: JournalEntry['phase'],
    data: Record<string, unknown> = {},
  ): void {
    this.#store.db
      .prepare('INSERT INTO deploy_journal(operation_id, step, phase, at, data) VALUES (?,?,?,?,?)')
      .run(operationId, step, phase, this.#now(), JSON.stringify(data));
  }

  readJournal(operationId: string): JournalEntry[] {
    return this.#store.db
      .prepare<[string], { step: string; phase: string; at: string; data: string }>(
        'SELECT step, phase, at, data FROM deploy_journal WHERE operation_id = ? ORDER BY id',
      )
      .all(operationId)
      .map((r) => ({
        step: r.step,
        phase: r.phase as JournalEntry['phase'],
        at: r.at,
        data: JSON.parse(r.data) as Record<string, unknown>,
      }));
  }

  recordVerdict(input: Omit<RevisionVerdictRecord, 'at'>): void {
    this.#store.db
      .prepare(
        'INSERT INTO revision_verdicts(environment, revision, verdict, digest, commit_sha, operation_id, at, details) VALUES (?,?,?,?,?,?,?,?)',
      )
      .run(
        input.environment,
        input.revision,
        input.verdict,
        input.digest,
        input.commit,
        input.operationId ?? null,
        this.#now(),
        JSON.stringify(input.details),
      );
  }

  /** The latest verdict of every revision of an environment, newest first. */
  latestVerdicts(environment: string): RevisionVerdictRecord[] {
    return this.#store.db
      .prepare<
        [string],
        {
          environment: string;
          revision: string;
          verdict: string;
          digest: string;
          commit_sha: string;
          operation_id: string | null;
          at: string;
          details: string;
        }
      >(
        `SELECT v.* FROM revision_verdicts v
         JOIN (SELECT revision, MAX(id) AS id FROM revision_verdicts WHERE environment = ? GROUP BY revision) last
           ON last.id = v.id
         ORDER BY v.id DESC`,
      )
      .all(environment)
      .map((r) => ({
        environment: r.environment,
        revision: r.revision,
        verdict: r.verdict as RevisionVerdictKind,
        digest: r.digest,
        commit: r.commit_sha,
        operationId: r.operation_id ?? undefined,
        at: r.at,
        details: JSON.parse(r.details) as Record<string, unknown>,
      }));
  }

  /** The newest revision whose latest verdict is known-good, skipping `except`. */
  lastKnownGood(environment: string, except?: string): RevisionVerdictRecord | undefined {
    return this.latestVerdicts(environment).find((v) => v.verdict === 'known-good' && v.revision !== except);
  }

  recordVerification(input: Omit<VerificationRecord, 'at'>): VerificationRecord {
    const at = this.#now();
    this.#store.db
      .prepare(
        'INSERT INTO verifications(environment, digest, commit_sha, revision, checks, window_ms, at, actor, operation_id) VALUES (?,?,?,?,?,?,?,?,?)',
      )
      .run(
        input.environment,
        input.digest,
        input.commit,
        input.revision,
        JSON.stringify(input.checks),
        input.windowMs,
        at,
        input.actor,
        input.operationId ?? null,
      );
    return { ...input, at };
  }

  latestVerification(environment: string, digest: string): VerificationRecord | undefined {
    const row = this.#store.db
      .prepare<
        [string, string],
        {
          environment: string;
          digest: string;
          commit_sha: string;
          revision: string;
          checks: string;
          window_ms: number;
          at: string;
          actor: string;
          operation_id: string | null;
        }
      >('SELECT * FROM verifications WHERE environment = ? AND digest = ? ORDER BY id DESC LIMIT 1')
      .get(environment, digest);
    if (!row) return undefined;
    return {
      environment: row.environment,
      digest: row.digest,
      commit: row.commit_sha,
      revision: row.revision,
      checks: JSON.parse(row.checks) as string[],
      windowMs: row.window_ms,
      at: row.at,
      actor: row.actor,
      operationId: row.operation_id ?? undefined,
    };
  }

  recordBreach(operationId: string, environment: string, revision: string, breach: Breach): void {
    this.#store.db
      .prepare(
        'INSERT INTO breaches(operation_id, environment, revision, metric, value, threshold, window_ms, at) VALUES (?,?,?,?,?,?,?,?)',
      )
      .run(
        operationId,
        environment,
        revision,
        breach.metric,
        breach.value,
        breach.threshold,
        breach.windowMs,
        this.#now(),
      );
  }

  readBreaches(operationId: string): Breach[] {
    return this.#store.db
      .prepare<[string], Breach>(
        'SELECT metric, value, threshold, window_ms AS windowMs FROM breaches WHERE operation_id = ? ORDER BY id',
      )
      .all(operationId);
  }

  /** A row in the core release_marks table: what shipped to an environment, under which tag. */
  recordReleaseMark(environment: string, commit: string, tag: string | undefined): void {
    this.#store.db
      .prepare('INSERT INTO release_marks(environment, commit_sha, tag, at) VALUES (?,?,?,?)')
      .run(environment, commit, tag ?? null, this.#now());
  }
}
