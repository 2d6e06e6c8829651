import type { Clock } from '../kernel/clock.js';
import { ProdguardError } from '../kernel/errors.js';
import type { EnvironmentLock } from '../store/index.js';
import type { DeployEvents } from './deploy-events.js';
import type { DeployStore, JournalEntry, OperationRecord } from './deploy-store.js';

export type StepStatus = 'Success' | 'Error' | 'NotExecuted';

export interface StepResult {
  name: string;
  status: StepStatus;
  /** Elapsed time since the operation (or its resumption) started, when the step ended. */
  elapsedMs?: number;
  detail?: string;
}

/**
 * Runs an operation's steps through the journal: each step is written before it acts and after, with
 * what it learnt. A step already journaled as done is skipped on resume and returns what it recorded.
 */
export class OperationRunner {
  readonly op: OperationRecord;
  readonly startedAt: number;
  readonly #store: DeployStore;
  readonly #events: DeployEvents;
  readonly #clock: Clock;
  readonly #lock: EnvironmentLock;
  readonly #done = new Map<string, Record<string, unknown>>();

  constructor(
    op: OperationRecord,
    store: DeployStore,
    events: DeployEvents,
    clock: Clock,
    lock: EnvironmentLock,
  ) {
    this.op = op;
    this.#store = store;
    this.#events = events;
    this.#clock = clock;
    this.#lock = lock;
    this.startedAt = clock.nowMs();
    for (const entry of store.readJournal(op.id)) {
      if (entry.phase === 'after') this.#done.set(entry.step, entry.data);
    }
  }

  elapsed(): number {
    return this.#clock.nowMs() - this.startedAt;
  }

  isDone(step: string): boolean {
    return this.#done.has(step);
  }

  /** Keeps the environment lock; an operation that lost it must stop acting at once. */
  heartbeat = (): void => {
    if (!this.#lock.heartbeat()) {
      throw new ProdguardError(
        'PRODGUARD_DEPLOY_LOCK_LOST',
        `Lost the lock on ${this.op.environment} during ${this.op.kind} ${this.op.id}.`,
        {
          hint: 'Another prodguard took the environment over after this one stalled; check `prodguard status` and resume or abort.',
        },
      );
    }
  };

  /** `ok` tells renderers whether what the step found is good news (an analysis can finish with a breach). */
  async step<T extends Record<string, unknown>>(
    name: string,
    act: () => Promise<T>,
    detail?: (data: T) => string,
    ok?: (data: T) => boolean,
  ): Promise<T> {
    const recorded = this.#done.get(name);
    if (recorded) return recorded as T;
    this.heartbeat();
    this.#store.journal(this.op.id, name, 'before');
    this.#events.emit('step:started', { operationId: this.op.id, step: name, elapsedMs: this.elapsed() });
    let data: T;
    try {
      data = await act();
    } catch (error) {
      this.#store.journal(this.op.id, name, 'error', {
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
    this.#store.journal(this.op.id, name, 'after', data);
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
    const journal: JournalEntry[] = this.#store.readJournal(this.op.id);
    const started = new Date(this.op.startedAt).getTime();
    const names = [...planned, ...journal.map((j) => j.step).filter((s) => !planned.includes(s))];
    return [...new Set(names)].map((name) => {
      const entries = journal.filter((j) => j.step === name);
      const last = entries[entries.length - 1];
      if (!last) return { name, status: 'NotExecuted' };
      const elapsedMs = Math.max(0, new Date(last.at).getTime() - started);
      if (last.phase === 'after') return { name, status: 'Success', elapsedMs };
      return {
        name,
        status: 'Error',
        elapsedMs,
        ...(typeof last.data.message === 'string' ? { detail: last.data.message } : {}),
      };
    });
  }
}
