import { setTimeout as delay } from 'node:timers/promises';

/** Time as a port, so tests move it instead of sleeping. */
export interface Clock {
  now(): Date;
  /** Milliseconds since the epoch; same source as now(). */
  nowMs(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = Object.freeze({
  now: () => new Date(),
  nowMs: () => Date.now(),
  sleep: async (ms: number, signal?: AbortSignal) => {
    await delay(ms, undefined, signal ? { signal } : undefined);
  },
});

/** A clock that only moves when told to; sleep() advances it instantly. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(start: Date | string | number = '2026-01-01T00:00:00Z') {
    this.#ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  nowMs(): number {
    return this.#ms;
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
  set(at: Date | string | number): void {
    this.#ms = new Date(at).getTime();
  }
  async sleep(ms: number): Promise<void> {
    this.#ms += ms;
  }
}
