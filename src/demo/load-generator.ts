import { Agent, request } from 'undici';

export interface RequestRecord {
  /** ms since the generator started */
  at: number;
  ok: boolean;
  status: number;
  revision?: string;
}

export interface LoadGeneratorOptions {
  url: string;
  concurrency: number;
  /** Pause between requests of one client, ms (keeps the demo's load steady, not maximal). */
  pauseMs: number;
  /** Hard cap, so a forgotten generator stops by itself. */
  maxRequests: number;
  paths: readonly string[];
}

/**
 * Steady background traffic on loopback, like real users: each client sends a request, waits, repeats.
 * Every response is recorded with the revision that served it, so each demo phase can be scored.
 */
export class LoadGenerator {
  readonly records: RequestRecord[] = [];
  readonly #options: LoadGeneratorOptions;
  readonly #agent: Agent;
  readonly #started = performance.now();
  #stopped = false;
  #clients: Promise<void>[] = [];

  constructor(options: LoadGeneratorOptions) {
    this.#options = options;
    this.#agent = new Agent({ connections: options.concurrency, keepAliveTimeout: 4_000 });
  }

  now(): number {
    return performance.now() - this.#started;
  }

  start(): void {
    for (let client = 0; client < this.#options.concurrency; client++) this.#clients.push(this.#run(client));
  }

  async #run(client: number): Promise<void> {
    let n = client;
    while (!this.#stopped && this.records.length < this.#options.maxRequests) {
      const path = this.#options.paths[n++ % this.#options.paths.length]!;
      try {
        const response = await request(new URL(path, this.#options.url), {
          dispatcher: this.#agent,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        await response.body.dump();
        const revision = response.headers['x-prodguard-revision'];
        this.records.push({
          at: this.now(),
          ok: response.statusCode >= 200 && response.statusCode < 400,
          status: response.statusCode,
          ...(typeof revision === 'string' ? { revision } : {}),
        });
      } catch {
        this.records.push({ at: this.now(), ok: false, status: 0 });
      }
      await new Promise((resolve) => setTimeout(resolve, this.#options.pauseMs));
    }
  }

  /** Requests answered between two instants (ms since start). */
  between(
    from: number,
    to: number,
  ): { served: number; failed: number; firstFailure?: number; lastFailure?: number } {
    let served = 0;
    let failed = 0;
    let firstFailure: number | undefined;
    let lastFailure: number | undefined;
    for (const record of this.records) {
      if (record.at < from || record.at > to) continue;
      served++;
      if (!record.ok) {
        failed++;
        firstFailure ??= record.at;
        lastFailure = record.at;
      }
    }
    return { served, failed, ...(firstFailure !== undefined ? { firstFailure, lastFailure } : {}) };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#clients);
    await this.#agent.close();
  }
}
