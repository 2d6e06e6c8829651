import { randomUUID } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import type { StateStore } from '../store/state-store.js';
import type { MasterKey } from './master-key.js';
import { openSealedValue, rotationAad, sealValue } from './secret-cipher.js';
import type { SecretKind } from './secret-vault.js';

export type RotationStrategy = 'alternating' | 'single-user' | 'regenerate';
export type RotationStatus = 'running' | 'succeeded' | 'rolled-back' | 'aborted';
export type RotationStepName = 'create' | 'set' | 'test' | 'add-version' | 'pin' | 'rollout' | 'watch';

export interface RotationRecord {
  id: string;
  name: string;
  environment: string;
  kind: SecretKind;
  strategy: RotationStrategy;
  status: RotationStatus;
  /** The last step that completed ('start' before the first). */
  step: RotationStepName | 'start';
  fromVersion: number | null;
  toVersion: number | null;
  role: string | null;
  actor: string;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  error: string | null;
  revision: string | null;
  hasPendingValue: boolean;
}

export interface RotationStepRecord {
  seq: number;
  step: string;
  phase: 'started' | 'succeeded' | 'failed';
  at: string;
  detail: string | null;
}

interface RotationRow {
  id: string;
  name: string;
  environment: string;
  kind: string;
  strategy: string;
  status: string;
  step: string;
  from_version: number | null;
  to_version: number | null;
  role: string | null;
  actor: string;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
  error: string | null;
  revision: string | null;
  pending_key_id: string | null;
  pending_nonce: Buffer | null;
  pending_ciphertext: Buffer | null;
  pending_tag: Buffer | null;
}

function toRecord(row: RotationRow): RotationRecord {
  return {
    id: row.id,
    name: row.name,
    environment: row.environment,
    kind: row.kind as SecretKind,
    strategy: row.strategy as RotationStrategy,
    status: row.status as RotationStatus,
    step: row.step as RotationRecord['step'],
    fromVersion: row.from_version,
    toVersion: row.to_version,
    role: row.role,
    actor: row.actor,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    error: row.error,
    revision: row.revision,
    hasPendingValue: row.pending_ciphertext !== null,
  };
}

/**
 * The rotation journal: intent is written before each step acts and the outcome after, so a rotation killed
 * at any point can be resumed from its last completed step. The generated value waits here, encrypted
 * under the master key, until it becomes a version; it is erased when the rotation ends.
 */
export class RotationJournal {
  readonly #store: StateStore;
  readonly #clock: Clock;
  readonly #key: MasterKey;

  constructor(store: StateStore, clock: Clock, key: MasterKey) {
    this.#store = store;
    this.#clock = clock;
    this.#key = key;
  }

  begin(input: {
    name: string;
    environment: string;
    kind: SecretKind;
    strategy: RotationStrategy;
    fromVersion: number | null;
    role: string | null;
    actor: string;
  }): RotationRecord {
    const id = `rot-${this.#clock.now().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
    const now = this.#clock.now().toISOString();
    this.#store.db
      .prepare(
        `INSERT INTO secret_rotations(id, name, environment, kind, strategy, status, step, from_version, role, actor, started_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'running', 'start', ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.name,
        input.environment,
        input.kind,
        input.strategy,
        input.fromVersion,
        input.role,
        input.actor,
        now,
        now,
      );
    return this.get(id)!;
  }

  get(id: string): RotationRecord | undefined {
    const row = this.#row(id);
    return row ? toRecord(row) : undefined;
  }

  /** The unfinished rotation of a secret, if one was interrupted. */
  running(name: string, environment: string): RotationRecord | undefined {
    const row = this.#store.db
      .prepare<[string, string], RotationRow>(
        "SELECT * FROM secret_rotations WHERE name = ? AND environment = ? AND status = 'running' ORDER BY started_at DESC LIMIT 1",
      )
      .get(name, environment);
    return row ? toRecord(row) : undefined;
  }

  list(filter: { name?: string; environment?: string; limit?: number } = {}): RotationRecord[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.name) {
      where.push('name = ?');
      params.push(filter.name);
    }
    if (filter.environment) {
      where.push('environment = ?');
      params.push(filter.environment);
    }
    params.push(filter.limit ?? 50);
    return this.#store.db
      .prepare<(string | number)[], RotationRow>(
        `SELECT * FROM secret_rotations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC LIMIT ?`,
      )
      .all(...params)
      .map(toRecord);
  }

  /** The newest successful rotation of a secret finished at or after `since`. */
  lastSucceeded(name: string, environment: string): RotationRecord | undefined {
    const row = this.#store.db
      .prepare<[string, string], RotationRow>(
        "SELECT * FROM secret_rotations WHERE name = ? AND environment = ? AND status = 'succeeded' ORDER BY finished_at DESC LIMIT 1",
      )
      .get(name, environment);
    return row ? toRecord(row) : undefined;
  }

  steps(id: string): RotationStepRecord[] {
    return this.#store.db
      .prepare<[string], RotationStepRecord>(
        'SELECT seq, step, phase, at, detail FROM secret_rotation_steps WHERE rotation_id = ? ORDER BY seq',
      )
      .all(id);
  }

  stepStarted(id: string, step: RotationStepName): void {
    this.#log(id, step, 'started', null);
  }

  stepSucceeded(
    id: string,
    step: RotationStepName,
    fields: { toVersion?: number; revision?: string; detail?: string } = {},
  ): void {
    this.#store.transaction(() => {
      this.#log(id, step, 'succeeded', fields.detail ?? null);
      this.#store.db
        .prepare(
          'UPDATE secret_rotations SET step = ?, updated_at = ?, to_version = COALESCE(?, to_version), revision = COALESCE(?, revision), error = NULL WHERE id = ?',
        )
        .run(step, this.#clock.now().toISOString(), fields.toVersion ?? null, fields.revision ?? null, id);
    });
  }

  stepFailed(id: string, step: RotationStepName, error: string): void {
    this.#store.transaction(() => {
      this.#log(id, step, 'failed', error);
      this.#store.db
        .prepare('UPDATE secret_rotations SET error = ?, updated_at = ? WHERE id = ?')
        .run(error, this.#clock.now().toISOString(), id);
    });
  }

  finish(id: string, status: Exclude<RotationStatus, 'running'>, error?: string): void {
    const now = this.#clock.now().toISOString();
    this.#store.db
      .prepare(
        `UPDATE secret_rotations SET status = ?, finished_at = ?, updated_at = ?, error = ?,
           pending_key_id = NULL, pending_nonce = NULL, pending_ciphertext = NULL, pending_tag = NULL WHERE id = ?`,
      )
      .run(status, now, now, error ?? null, id);
  }

  setPendingValue(id: string, value: string): void {
    const sealed = sealValue(this.#key, value, rotationAad(id));
    this.#store.db
      .prepare(
        'UPDATE secret_rotations SET pending_key_id = ?, pending_nonce = ?, pending_ciphertext = ?, pending_tag = ? WHERE id = ?',
      )
      .run(sealed.keyId, sealed.nonce, sealed.ciphertext, sealed.tag, id);
  }

  pendingValue(id: string): string | undefined {
    const row = this.#row(id);
    if (!row?.pending_ciphertext || !row.pending_nonce || !row.pending_tag || !row.pending_key_id)
      return undefined;
    return openSealedValue(
      this.#key,
      {
        keyId: row.pending_key_id,
        nonce: row.pending_nonce,
        ciphertext: row.pending_ciphertext,
        tag: row.pending_tag,
      },
      rotationAad(id),
      `the pending value of rotation ${id}`,
    );
  }

  #row(id: string): RotationRow | undefined {
    return this.#store.db
      .prepare<[string], RotationRow>('SELECT * FROM secret_rotations WHERE id = ?')
      .get(id);
  }

  #log(id: string, step: string, phase: RotationStepRecord['phase'], detail: string | null): void {
    const next = this.#store.db
      .prepare<[string], { n: number | null }>(
        'SELECT MAX(seq) AS n FROM secret_rotation_steps WHERE rotation_id = ?',
      )
      .get(id);
    this.#store.db
      .prepare(
        'INSERT INTO secret_rotation_steps(rotation_id, seq, step, phase, at, detail) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id, (next?.n ?? 0) + 1, step, phase, this.#clock.now().toISOString(), detail);
  }
}
