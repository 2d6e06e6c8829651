import type { Logger } from './logger.js';

/**
 * A small typed emitter for display (progress lines, NDJSON, dashboards). Never for the audit: the
 * operation kernel writes that itself. A failing listener is logged and isolated, so a broken renderer
 * cannot stop a rollback.
 */
export class TypedEvents<M extends object> {
  readonly #listeners = new Map<keyof M, Set<(payload: never) => void>>();
  readonly #any = new Set<(name: keyof M, payload: M[keyof M]) => void>();
  readonly #log: Pick<Logger, 'warn'> | undefined;

  constructor(log?: Pick<Logger, 'warn'>) {
    this.#log = log;
  }

  on<K extends keyof M>(name: K, listener: (payload: M[K]) => void): () => void {
    const set = this.#listeners.get(name) ?? new Set();
    set.add(listener as (payload: never) => void);
    this.#listeners.set(name, set);
    return () => set.delete(listener as (payload: never) => void);
  }

  onAny(listener: (name: keyof M, payload: M[keyof M]) => void): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  emit<K extends keyof M>(name: K, payload: M[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      this.#call(name, () => (listener as (payload: M[K]) => void)(payload));
    }
    for (const listener of this.#any) this.#call(name, () => listener(name, payload));
  }

  #call(name: keyof M, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#log?.warn(`a listener of ${String(name)} failed`, {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
