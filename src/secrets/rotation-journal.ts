import type { Clock } from '../kernel/clock.js';
import {
  type OperationKindSpec,
  type OperationRecord,
  type OperationStore,
  readStepResults,
  type StepEntry,
} from '../operations/index.js';
import type { MasterKey } from './master-key.js';
import { openSealedValue, rotationAad, sealValue } from './secret-cipher.js';
import type { SecretKind } from './secret-vault.js';

export type RotationStrategy = 'alternating' | 'single-user' | 'regenerate';
export type RotationStatus = OperationRecord['status'];
export type RotationStepName = 'create' | 'set' | 'test' | 'add-version' | 'pin' | 'rollout' | 'watch';

export interface RotationParams {
  name: string;
  kind: SecretKind;
  strategy: RotationStrategy;
  fromVersion: number | null;
  role: string | null;
}

export interface RotationProgress {
  toVersion?: number | null;
  revision?: string | null;
}

interface StepDetail {
  detail: string;
}

export interface RotationSteps {
  create: StepDetail;
  set: StepDetail;
  test: StepDetail;
  'add-version': StepDetail & { toVersion: number };
  pin: StepDetail;
  rollout: StepDetail & { revision?: string };
  watch: StepDetail;
}

declare module '../operations/operation-record.js' {
  interface OperationKindMap {
    'secrets-rotation': OperationKindSpec<RotationParams, RotationProgress, RotationSteps>;
  }
}

/** A rotation as the secrets domain reads it: the kernel's operation plus what its steps learnt. */
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
  phase: StepEntry['phase'];
  at: string;
  detail: string | null;
}

const ROTATION_STEPS: readonly RotationStepName[] = [
  'create',
  'set',
  'test',
  'add-version',
  'pin',
  'rollout',
  'watch',
];

function isRotationStep(step: string): step is RotationStepName {
  return (ROTATION_STEPS as readonly string[]).includes(step);
}

/**
 * Rotations on the operation kernel (kind `secrets-rotation`). The generated value waits in its own table,
 * sealed under the master key, until it becomes a version; it is erased when the rotation ends.
 */
export class RotationJournal {
  readonly #ops: OperationStore;
  readonly #clock: Clock;
  readonly #key: MasterKey;

  constructor(ops: OperationStore, key: MasterKey) {
    this.#ops = ops;
    this.#clock = ops.clock;
    this.#key = key;
  }

  get ops(): OperationStore {
    return this.#ops;
  }

  operation(id: string): OperationRecord<'secrets-rotation'> | undefined {
    return this.#ops.get(id, 'secrets-rotation');
  }

  get(id: string): RotationRecord | undefined {
    const op = this.operation(id);
    return op ? this.#toRecord(op) : undefined;
  }

  /** The unfinished rotation of a secret, if one was interrupted. */
  running(name: string, environment: string): RotationRecord | undefined {
    return this.list({ name, environment, limit: 1000 }).find((r) => r.status === 'running');
  }

  list(filter: { name?: string; environment?: string; limit?: number } = {}): RotationRecord[] {
    return this.#ops
      .list({ kind: 'secrets-rotation', environment: filter.environment, limit: filter.limit ?? 50 })
      .map((op) => this.operation(op.id)!)
      .filter((op) => !filter.name || op.params.name === filter.name)
      .map((op) => this.#toRecord(op));
  }

  /** The newest successful rotation of a secret. */
  lastSucceeded(name: string, environment: string): RotationRecord | undefined {
    return this.list({ name, environment, limit: 1000 })
      .filter((r) => r.status === 'succeeded')
      .sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''))[0];
  }

  steps(id: string): RotationStepRecord[] {
    return this.#ops.readJournal(id).map((entry, index) => ({
      seq: index + 1,
      step: entry.step,
      phase: entry.phase,
      at: entry.at,
      detail: describeEntry(entry),
    }));
  }

  setPendingValue(id: string, value: string): void {
    const sealed = sealValue(this.#key, value, rotationAad(id));
    this.#ops.stateStore.db
      .prepare(
        `INSERT INTO secret_rotation_pending(operation_id, key_id, nonce, ciphertext, tag) VALUES (?,?,?,?,?)
         ON CONFLICT(operation_id) DO UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce,
           ciphertext = excluded.ciphertext, tag = excluded.tag`,
      )
      .run(id, sealed.keyId, sealed.nonce, sealed.ciphertext, sealed.tag);
  }

  pendingValue(id: string): string | undefined {
    const row = this.#ops.stateStore.db
      .prepare<[string], { key_id: string; nonce: Buffer; ciphertext: Buffer; tag: Buffer }>(
        'SELECT key_id, nonce, ciphertext, tag FROM secret_rotation_pending WHERE operation_id = ?',
      )
      .get(id);
    if (!row) return undefined;
    return openSealedValue(
      this.#key,
      { keyId: row.key_id, nonce: row.nonce, ciphertext: row.ciphertext, tag: row.tag },
      rotationAad(id),
      `the pending value of rotation ${id}`,
    );
  }

  /** Erases the value waiting to become a version; called whenever a rotation ends. */
  erasePendingValue(id: string): void {
    this.#ops.stateStore.db.prepare('DELETE FROM secret_rotation_pending WHERE operation_id = ?').run(id);
  }

  #toRecord(op: OperationRecord<'secrets-rotation'>): RotationRecord {
    const journal = this.#ops.readJournal(op.id);
    const done = readStepResults(this.#ops, op)
      .filter((s) => s.status === 'Success')
      .map((s) => s.name)
      .filter(isRotationStep);
    // The journal is the truth: what a step learnt is recorded with its success, in one write.
    const learnt = (step: RotationStepName, key: 'toVersion' | 'revision'): unknown => {
      const entry = journal.findLast((e) => e.step === step && e.phase === 'succeeded');
      const data = entry?.data;
      return typeof data === 'object' && data !== null && key in data
        ? (data as Record<string, unknown>)[key]
        : undefined;
    };
    const toVersion = learnt('add-version', 'toVersion');
    const revision = learnt('rollout', 'revision');
    const hasPending = this.#ops.stateStore.db
      .prepare<[string], { n: number }>(
        'SELECT COUNT(*) AS n FROM secret_rotation_pending WHERE operation_id = ?',
      )
      .get(op.id);
    void this.#clock;
    return {
      id: op.id,
      name: op.params.name,
      environment: op.environment,
      kind: op.params.kind,
      strategy: op.params.strategy,
      status: op.status,
      step: done[done.length - 1] ?? 'start',
      fromVersion: op.params.fromVersion,
      // state holds the versions of rotations journaled before the kernel (carried over by the store migration)
      toVersion: typeof toVersion === 'number' ? toVersion : (op.state.toVersion ?? null),
      role: op.params.role,
      actor: op.actor,
      startedAt: op.startedAt,
      updatedAt: op.updatedAt,
      finishedAt: op.finishedAt ?? null,
      error: op.error ?? null,
      revision: typeof revision === 'string' ? revision : (op.state.revision ?? null),
      hasPendingValue: (hasPending?.n ?? 0) > 0,
    };
  }
}

function describeEntry(entry: StepEntry): string | null {
  const data = entry.data;
  if (typeof data !== 'object' || data === null) return null;
  if ('detail' in data && typeof data.detail === 'string') return data.detail;
  if ('message' in data && typeof data.message === 'string') return data.message;
  return null;
}
