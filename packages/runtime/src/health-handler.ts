import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { PoolMetrics } from './create-pool.js';
import { redactText } from './redact.js';

/** The part of a pool the health check uses: any `pg.Pool` fits; a `ResilientPool` also reports metrics. */
export interface HealthPool {
  query(text: string): Promise<unknown>;
  metrics?(): PoolMetrics;
}

export interface HealthHandlerOptions {
  pool: HealthPool;
  /** The database check fails (as `timeout`) after this long. Default 2 000 ms. */
  timeoutMs?: number;
  /**
   * The application's maintenance switch: return `true` or a message while in maintenance. Readiness then
   * answers 503 `maintenance` with `Retry-After`; liveness stays 200 so the platform does not restart it.
   */
  maintenance?: () => boolean | string | undefined;
  /** True once shutdown has begun (see `gracefulShutdown().isShuttingDown`): readiness turns 503. */
  shuttingDown?: () => boolean;
  /** Default `/health` (readiness). */
  readinessPath?: string;
  /** Default `/health/live` (liveness). */
  livenessPath?: string;
  /** Seconds announced in `Retry-After` during maintenance. Default 60. */
  retryAfterSeconds?: number;
}

export type HealthStatus = 'ok' | 'maintenance' | 'shutting-down' | 'unavailable';

export interface DatabaseHealth {
  status: 'ok' | 'error' | 'timeout';
  latencyMs: number;
  code?: string;
  error?: string;
}

export interface HealthReport {
  status: HealthStatus;
  /** The HTTP status readiness answers with: 200 only when `status` is `ok`. */
  httpStatus: 200 | 503;
  db: DatabaseHealth;
  maintenance: false | { message: string };
  pool?: { total: number; idle: number; waiting: number; max: number };
}

export interface LivenessReport {
  status: 'ok';
  maintenance: boolean;
  shuttingDown: boolean;
  uptimeSeconds: number;
}

export interface HealthHandler {
  /** Readiness: checks the database (`SELECT 1`) within the timeout. Concurrent calls share one check. */
  check(): Promise<HealthReport>;
  /** Liveness: the process runs and its event loop answers. Never touches the database. */
  live(): LivenessReport;
  /** Serves GET/HEAD on the readiness and liveness paths; returns false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/**
 * Readiness and liveness endpoints for a service on PostgreSQL.
 *
 * @example
 * const health = healthHandler({ pool, timeoutMs: 2000, maintenance: () => process.env.MAINTENANCE === '1' });
 * http.createServer(async (req, res) => {
 *   if (await health.handle(req, res)) return;
 *   // ... the application's routes
 * });
 */
export function healthHandler(options: HealthHandlerOptions): HealthHandler {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const readinessPath = options.readinessPath ?? '/health';
  const livenessPath = options.livenessPath ?? '/health/live';
  const retryAfter = String(options.retryAfterSeconds ?? 60);
  let inflight: Promise<DatabaseHealth> | undefined;

  const checkDatabase = (): Promise<DatabaseHealth> => {
    if (inflight) return inflight;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DatabaseHealth>((resolve) => {
      timer = setTimeout(
        () => resolve({ status: 'timeout', latencyMs: elapsed(), error: `no answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
    });
    const query = options.pool.query('SELECT 1').then(
      (): DatabaseHealth => ({ status: 'ok', latencyMs: elapsed() }),
      (err: unknown): DatabaseHealth => {
        const e = err as { code?: unknown; message?: unknown };
        return {
          status: 'error',
          latencyMs: elapsed(),
          ...(typeof e.code === 'string' ? { code: e.code } : {}),
          error: redactText(typeof e.message === 'string' ? e.message : String(err)),
        };
      },
    );
    inflight = Promise.race([query, timeout]).finally(() => {
      clearTimeout(timer);
      inflight = undefined;
    });
    return inflight;
  };

  const maintenanceState = (): false | { message: string } => {
    const value = options.maintenance?.();
    if (!value) return false;
    return { message: typeof value === 'string' ? value : 'The service is in maintenance' };
  };

  const check = async (): Promise<HealthReport> => {
    const db = await checkDatabase();
    const maintenance = maintenanceState();
    const shuttingDown = options.shuttingDown?.() ?? false;
    const status: HealthStatus = shuttingDown
      ? 'shutting-down'
      : maintenance
        ? 'maintenance'
        : db.status === 'ok'
          ? 'ok'
          : 'unavailable';
    const metrics = options.pool.metrics?.();
    return {
      status,
      httpStatus: status === 'ok' ? 200 : 503,
      db,
      maintenance,
      ...(metrics
        ? { pool: { total: metrics.total, idle: metrics.idle, waiting: metrics.waiting, max: metrics.max } }
        : {}),
    };
  };

  const live = (): LivenessReport => ({
    status: 'ok',
    maintenance: maintenanceState() !== false,
    shuttingDown: options.shuttingDown?.() ?? false,
    uptimeSeconds: Math.round(process.uptime()),
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = (req.url ?? '/').split('?')[0];
    if (path === livenessPath) {
      sendJson(res, 200, live(), req.method === 'HEAD');
      return true;
    }
    if (path === readinessPath) {
      const report = await check();
      if (report.status === 'maintenance') res.setHeader('Retry-After', retryAfter);
      sendJson(res, report.httpStatus, report, req.method === 'HEAD');
      return true;
    }
    return false;
  };

  return { check, live, handle };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headOnly: boolean): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(headOnly ? undefined : text);
}
