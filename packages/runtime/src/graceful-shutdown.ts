import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { jsonLineLog, type RuntimeLog } from './runtime-log.js';

export interface GracefulShutdownOptions {
  server: Server;
  /** Ended once requests have drained (any `pg.Pool`). */
  pool?: { end(): Promise<void> };
  /** Everything (drain + pool end) fits in this budget; Cloud Run sends SIGKILL 10 s after SIGTERM. */
  budgetMs?: number;
  /** Default SIGTERM and SIGINT. Pass `[]` to trigger `shutdown()` yourself. */
  signals?: readonly NodeJS.Signals[];
  log?: RuntimeLog;
  /** Extra cleanup after the drain and before the pool ends (flush queues, close other clients). */
  beforePoolEnd?: () => Promise<void> | void;
  /** Default `process.exit`; the result's `exitCode` is 0 when every request finished, 1 otherwise. */
  exit?: (code: number) => void;
}

export interface ShutdownResult {
  reason: string;
  /** Every in-flight request finished within the budget. */
  drained: boolean;
  /** Requests still running when the budget ran out (their connections were closed). */
  abandoned: number;
  poolEnded: boolean;
  durationMs: number;
  exitCode: 0 | 1;
}

export interface GracefulShutdown {
  isShuttingDown(): boolean;
  /** Requests currently being served. */
  inFlight(): number;
  /** Runs the shutdown (what a signal triggers); later calls return the same promise. */
  shutdown(reason?: string): Promise<ShutdownResult>;
  /** Removes the signal handlers (tests, or apps that manage signals themselves). */
  dispose(): void;
}

/**
 * On SIGTERM: stop accepting connections, let in-flight requests finish within the budget (responses
 * sent meanwhile carry `Connection: close`), end the database pool, exit. Call it right after creating
 * the server so that every request is counted.
 *
 * @example
 * const server = http.createServer(app);
 * const shutdown = gracefulShutdown({ server, pool, budgetMs: 10_000 });
 * const health = healthHandler({ pool, shuttingDown: shutdown.isShuttingDown });
 * server.listen(Number(process.env.PORT));
 */
export function gracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const { server } = options;
  const budgetMs = options.budgetMs ?? 10_000;
  const log = options.log ?? jsonLineLog();
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];

  const inFlightResponses = new Set<ServerResponse>();
  let inFlight = 0;
  let shuttingDown = false;
  let running: Promise<ShutdownResult> | undefined;
  let onIdle: (() => void) | undefined;

  const onRequest = (_req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    inFlightResponses.add(res);
    if (shuttingDown && !res.headersSent) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight--;
      inFlightResponses.delete(res);
      if (inFlight === 0) onIdle?.();
    });
  };
  server.on('request', onRequest);

  const run = async (reason: string): Promise<ShutdownResult> => {
    const started = performance.now();
    const deadline = started + budgetMs;
    shuttingDown = true;
    // Clients of requests already running learn that this connection will not be reused.
    for (const res of inFlightResponses) if (!res.headersSent) res.setHeader('Connection', 'close');
    log.info('shutting down: no new connections, draining in-flight requests', {
      event: 'shutdown.started',
      reason,
      inFlight,
      budgetMs,
    });
    server.close();
    server.closeIdleConnections();

    let drained = inFlight === 0;
    if (!drained) {
      drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), Math.max(0, deadline - performance.now()));
        onIdle = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
    }
    const abandoned = inFlight;
    // Nothing is being served any more (or the budget is spent): keep-alive sockets can go.
    server.closeAllConnections();
    if (!drained) {
      log.warn('shutdown budget exhausted; closing connections of unfinished requests', {
        event: 'shutdown.budget_exhausted',
        abandoned,
        budgetMs,
      });
    }

    try {
      await options.beforePoolEnd?.();
    } catch (err) {
      log.error('cleanup before pool end failed', { event: 'shutdown.cleanup_failed', error: String(err) });
    }

    let poolEnded = options.pool === undefined;
    if (options.pool) {
      const remaining = Math.max(250, deadline - performance.now());
      poolEnded = await Promise.race([
        options.pool.end().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), remaining).unref()),
      ]);
    }

    const result: ShutdownResult = {
      reason,
      drained,
      abandoned,
      poolEnded,
      durationMs: Math.round(performance.now() - started),
      exitCode: drained ? 0 : 1,
    };
    log.info('shutdown complete', { event: 'shutdown.complete', ...result });
    return result;
  };

  const shutdown = (reason = 'requested'): Promise<ShutdownResult> => {
    running ??= run(reason);
    return running;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      log.warn(`received ${signal} again; shutdown already in progress`, {
        event: 'shutdown.signal_repeated',
      });
      return;
    }
    void shutdown(signal).then((result) => exit(result.exitCode));
  };
  for (const signal of signals) process.on(signal, onSignal);

  return {
    isShuttingDown: () => shuttingDown,
    inFlight: () => inFlight,
    shutdown,
    dispose: () => {
      for (const signal of signals) process.off(signal, onSignal);
      server.off('request', onRequest);
    },
  };
}
