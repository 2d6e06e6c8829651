import { ProdguardError } from '../kernel/errors.js';
import type { EnvironmentLock } from '../store/index.js';
import type { OperationEventMap } from './operation-events.js';
import type { OperationKind, OperationRecord, StepResult, StepsOf } from './operation-record.js';
import type { OperationStore } from './operation-store.js';

/** The narrow emitter the runner needs: any TypedEvents whose map includes the operation events. */
export interface StepEventSink {
  emit<K extends 'step:started' | 'step:finished'>(name: K, payload: OperationEventMap[K]): void;
}

/**
 * Runs an operation's steps through the journal: each step is written before it acts and after, with
 * what it learnt, typed by the kind's step map. A step already journaled as done is skipped on resume
 * and returns what it recorded, so a step repeated after a crash is never acted twice.
 */
export class OperationRunner<K extends OperationKind> {
  readonly op: OperationRecord<K>;
  readonly startedAt: number;
  readonly #ops: OperationStore;
  readonly #events: StepEventSink;
  readonly #lock: EnvironmentLock;
  readonly #done = new Map<string, unknown>();

  constructor(op: OperationRecord<K>, ops: OperationStore, events: StepEventSink, lock: EnvironmentLock) {
    this.op = op;
    this.#ops = ops;
    this.#events = events;
    this.#lock = lock;
    this.startedAt = ops.clock.nowMs();
    for (const entry of ops.readJournal(op.id)) {
      if (entry.phase === 'succeeded') this.#done.set(entry.step, entry.data);
    }
  }

  get lock(): EnvironmentLock {
    return this.#lock;
  }

  elapsed(): number {
    return this.#ops.clock.nowMs() - this.startedAt;
  }

  isDone(step: keyof StepsOf<K> & string): boolean {
    return this.#done.has(step);
  }

  /** What a step recorded when it succeeded (this run or before a crash). */
  recorded<N extends keyof StepsOf<K> & string>(step: N): StepsOf<K>[N] | undefined {
    return this.#done.get(step) as StepsOf<K>[N] | undefined;
  }

  /** Keeps the environment lock; an operation that lost it must stop acting at once. */
  heartbeat = (): void => {
    if (!this.#lock.heartbeat()) {
      throw new ProdguardError(
        'PRODGUARD_OPERATION_LOCK_LOST',
        `Lost the lock on ${this.op.environment} during ${this.op.kind} ${this.op.id}.`,
        {
          hint: 'Another prodguard took the environment over after this one stalled; check `prodguard operations` and resume or abort.',
        },
      );
    }
  };

  /** `ok` tells renderers whether what the step found is good news (an analysis can finish with a breach). */
  async step<N extends keyof StepsOf<K> & string>(
    name: N,
    act: () => Promise<StepsOf<K>[N]>,
    detail?: (data: StepsOf<K>[N]) => string,
    ok?: (data: StepsOf<K>[N]) => boolean,
  ): Promise<StepsOf<K>[N]> {
    if (this.#done.has(name)) return this.#done.get(name) as StepsOf<K>[N];
    this.heartbeat();
    this.#ops.journal(this.op.id, name, 'started');
    this.#events.emit('step:started', { operationId: this.op.id, step: name, elapsedMs: this.elapsed() });
    let data: StepsOf<K>[N];
    try {
      data = await act();
    } catch (error) {
      this.#ops.journal(this.op.id, name, 'failed', {
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
    this.#ops.journal(this.op.id, name, 'succeeded', data);
    this.#done.set(name, data);
    this.#events.emit('step:finished', {
      operationId: this.op.id,
      step: name,
      elapsedMs: this.elapsed(),
      ...(detail ? { detail: detail(data) } : {}),
      ok: ok ? ok(data) : true,
    });
    return data;
  }

  /** Step statuses for the planned steps, from the journal (so a resumed operation reports all of them). */
  results(planned: readonly string[]): StepResult[] {
    return readStepResults(this.#ops, this.op, planned);
  }
}

/** Step results of any operation from its journal: every planned step, then any others it ran. */
export function readStepResults(
  ops: Pick<OperationStore, 'readJournal'>,
  op: Pick<OperationRecord, 'id' | 'startedAt'>,
  planned: readonly string[] = [],
): StepResult[] {
  const journal = ops.readJournal(op.id);
  const started = new Date(op.startedAt).getTime();
  const names = [...new Set([...planned, ...journal.map((j) => j.step)])];
  return names.map((name) => {
    const entries = journal.filter((j) => j.step === name);
    const last = entries[entries.length - 1];
    if (!last) return { name, status: 'NotExecuted' };
    const elapsedMs = Math.max(0, new Date(last.at).getTime() - started);
    if (last.phase === 'succeeded') {
      const detail = readDetail(last.data);
      return { name, status: 'Success', elapsedMs, ...(detail ? { detail } : {}) };
    }
    if (last.phase === 'started') return { name, status: 'Error', elapsedMs, detail: 'interrupted' };
    const message = readMessage(last.data);
    return { name, status: 'Error', elapsedMs, ...(message ? { detail: message } : {}) };
  });
}

function readDetail(data: unknown): string | undefined {
  return typeof data === 'object' && data !== null && 'detail' in data && typeof data.detail === 'string'
    ? data.detail
    : undefined;
}

function readMessage(data: unknown): string | undefined {
  return typeof data === 'object' && data !== null && 'message' in data && typeof data.message === 'string'
    ? data.message
    : undefined;
}
