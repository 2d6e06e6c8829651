import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { classifyConnectError, describePgError, isRetryableConnectError } from './connection-error.js';
import type { PasswordSource } from './password-source.js';
import { jsonLineLog, type RuntimeLog, redactingLog } from './runtime-log.js';

export interface PoolRetryOptions {
  /** Extra attempts after a failed connect (authentication or connection error). Default 1. */
  attempts?: number;
  /** Wait before the first retry; doubles for each further one. Default 250 ms. */
  delayMs?: number;
}

export interface CreatePoolOptions {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  /** A fixed password, or a function re-read for every new connection (see `passwordFromFile`). */
  password?: string | PasswordSource;
  ssl?: pg.PoolConfig['ssl'];
  /** Maximum connections; match it to the database's `max_connections` share of this service. Default 10. */
  max?: number;
  /** Give up acquiring a connection after this long. Default 10 000 ms (pg's own default waits forever). */
  connectionTimeoutMillis?: number;
  /** Close a connection idle for this long. Default 30 000 ms. */
  idleTimeoutMillis?: number;
  /**
   * Retire every connection after this many seconds, so sessions opened with a rotated-out credential
   * are replaced by ones that authenticate with the current one. Default 300. 0 disables it.
   */
  maxLifetimeSeconds?: number;
  retry?: PoolRetryOptions;
  /** Where connection problems are reported (already redacted). Default: JSON lines on stderr. */
  log?: RuntimeLog;
  /** Shown in `pg_stat_activity`. */
  applicationName?: string;
  /**
   * Server-side `statement_timeout` for every connection: a runaway query fails (SQLSTATE 57014) instead
   * of holding its connection until the pool starves. Unset by default (no limit), as in PostgreSQL.
   */
  statementTimeoutMillis?: number;
  /** Any other pg.Pool option (e.g. `statement_timeout`); the options above win. */
  extra?: pg.PoolConfig;
}

export interface PoolMetrics {
  /** Open connections (in use + idle). */
  total: number;
  idle: number;
  inUse: number;
  /** Callers queued for a connection: the saturation signal to alert on. */
  waiting: number;
  max: number;
  /** All connections busy and callers queued. */
  saturated: boolean;
  /** Failed attempts to open a connection (a full pool is counted in `waiting`, not here). */
  connectFailures: number;
  authFailures: number;
  retries: number;
  /** Connects that succeeded on a retry. */
  recovered: number;
  /**
   * Connections handed out (each `query()` and each transaction takes one): proof that a client such as
   * Prisma's adapter really goes through this pool (see `createPrismaAdapter`).
   */
  acquired: number;
}

interface ResolvedSettings {
  attempts: number;
  delayMs: number;
  log: RuntimeLog;
  context: Record<string, unknown>;
}

type ConnectCallback = (
  err: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * A `pg.Pool` that fails fast, retries a failed connect once, and reports its saturation. It is a real
 * `pg.Pool` (subclass), so anything that takes one (`@prisma/adapter-pg`, kysely, drizzle) gets the
 * retry too: `query()` and transactions both acquire through `connect()`.
 *
 * Only the connect step is retried, where nothing has reached the server yet. A statement whose
 * connection dies mid-flight is not replayed, because it may already have committed.
 */
export class ResilientPool extends pg.Pool {
  readonly #settings: ResolvedSettings;
  #connectFailures = 0;
  #authFailures = 0;
  #retries = 0;
  #recovered = 0;
  #acquired = 0;

  constructor(config: pg.PoolConfig, settings: ResolvedSettings) {
    super(config);
    this.#settings = settings;
    // An idle connection killed by the server (restart, pg_terminate_backend) emits 'error' on the pool;
    // without a listener that would crash the process.
    this.on('error', (err) => {
      settings.log.warn('database connection lost while idle; the pool will open a new one', {
        event: 'db.idle_connection_lost',
        ...settings.context,
        ...describePgError(err),
      });
    });
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
    const acquired = this.#connectWithRetry();
    if (!callback) return acquired;
    acquired.then(
      (client) =>
        callback(undefined, client, (release?: unknown) =>
          client.release(release as Error | boolean | undefined),
        ),
      (err: Error) => callback(err, undefined, () => {}),
    );
    return undefined;
  }

  async #connectWithRetry(): Promise<pg.PoolClient> {
    const { attempts, delayMs, log, context } = this.#settings;
    for (let attempt = 0; ; attempt++) {
      try {
        const client = await super.connect();
        this.#acquired++;
        if (attempt > 0) {
          this.#recovered++;
          log.info('database connect succeeded on retry', {
            event: 'db.connect.recovered',
            ...context,
            attempt,
          });
        }
        return client;
      } catch (err) {
        const kind = classifyConnectError(err);
        if (kind !== 'pool-exhausted') this.#connectFailures++;
        if (kind === 'auth') this.#authFailures++;
        const willRetry = attempt < attempts && isRetryableConnectError(err) && !this.ending;
        const fields = {
          event: 'db.connect.failed',
          kind,
          attempt: attempt + 1,
          willRetry,
          ...context,
          ...describePgError(err),
          pool: { total: this.totalCount, idle: this.idleCount, waiting: this.waitingCount },
        };
        if (!willRetry) {
          log.error('database connect failed', fields);
          throw err;
        }
        log.warn('database connect failed; retrying', fields);
        this.#retries++;
        await delay(delayMs * 2 ** attempt);
      }
    }
  }

  metrics(): PoolMetrics {
    const total = this.totalCount;
    const idle = this.idleCount;
    const waiting = this.waitingCount;
    const max = this.options.max;
    return {
      total,
      idle,
      inUse: total - idle,
      waiting,
      max,
      saturated: waiting > 0 && total >= max,
      connectFailures: this.#connectFailures,
      authFailures: this.#authFailures,
      retries: this.#retries,
      recovered: this.#recovered,
      acquired: this.#acquired,
    };
  }
}

const MAX_REMEMBERED_SECRETS = 4;

/**
 * Creates a `ResilientPool` with production defaults: connect timeout 10 s, connection lifetime 5 min,
 * one retry with backoff on authentication (SQLSTATE 28P01) and connection errors, redacted logging.
 *
 * @example
 * const pool = createPool({
 *   host: 'db.internal', user: 'app', database: 'app',
 *   password: passwordFromFile('/secrets/db-password'), // re-read for every new connection
 *   max: 10,
 * });
 * await pool.query('SELECT 1');
 */
export function createPool(options: CreatePoolOptions = {}): ResilientPool {
  const secrets: string[] = [];
  const remember = (value: string | undefined) => {
    if (!value || secrets.includes(value)) return;
    secrets.push(value);
    if (secrets.length > MAX_REMEMBERED_SECRETS) secrets.shift();
  };
  const knownSecrets = () => secrets;

  let connectionString = options.connectionString;
  let urlFacts: Record<string, unknown> = {};
  if (connectionString) {
    const parsed = parseConnectionString(connectionString);
    if (parsed) {
      remember(parsed.password);
      urlFacts = parsed.facts;
      if (typeof options.password === 'function') connectionString = parsed.withoutPassword;
    }
  }

  const source = options.password;
  let password: pg.PoolConfig['password'];
  if (typeof source === 'function') {
    password = async () => {
      const value = await source();
      remember(value);
      return value;
    };
  } else {
    remember(source);
    password = source;
  }

  const log = redactingLog(options.log ?? jsonLineLog({ knownSecrets }), knownSecrets);
  const context = {
    ...urlFacts,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.database !== undefined ? { database: options.database } : {}),
    ...(options.user !== undefined ? { user: options.user } : {}),
  };

  const config: pg.PoolConfig = {
    ...options.extra,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 300,
  };
  if (connectionString !== undefined) config.connectionString = connectionString;
  if (options.host !== undefined) config.host = options.host;
  if (options.port !== undefined) config.port = options.port;
  if (options.user !== undefined) config.user = options.user;
  if (options.database !== undefined) config.database = options.database;
  if (password !== undefined) config.password = password;
  if (options.ssl !== undefined) config.ssl = options.ssl;
  if (options.applicationName !== undefined) config.application_name = options.applicationName;
  if (options.statementTimeoutMillis !== undefined) config.statement_timeout = options.statementTimeoutMillis;
  if (typeof password === 'function') {
    config.Client = clientWithPasswordSource(password) as unknown as pg.PoolConfig['Client'];
  }

  return new ResilientPool(config, {
    attempts: Math.max(0, options.retry?.attempts ?? 1),
    delayMs: Math.max(0, options.retry?.delayMs ?? 250),
    log,
    context,
  });
}

type ConnectCallbackOfClient = (err?: Error) => void;

/**
 * A pg client that takes its password from the source. Two pg behaviours make it necessary:
 * - every field of a connection string overrides the options, an empty password included, so the
 *   function is put back on each client after the string has been parsed;
 * - when the password function throws (a secret file missing mid-rotation), pg reports the error but
 *   leaves the socket open, and the server keeps that half-authenticated backend for
 *   `authentication_timeout` (60 s). The socket is destroyed on any connect failure.
 */
function clientWithPasswordSource(source: () => string | Promise<string>): typeof pg.Client {
  // Typed loosely: pg's typings overload connect() with a union callback that cannot be overridden cleanly.
  const Base = pg.Client as unknown as new (
    config?: string | pg.ClientConfig,
  ) => {
    connect(callback?: ConnectCallbackOfClient): Promise<unknown> | undefined;
  };
  class PasswordSourceClient extends Base {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      Object.defineProperty(this, 'password', {
        configurable: true,
        enumerable: false,
        writable: true,
        value: source,
      });
    }

    override connect(callback?: ConnectCallbackOfClient): Promise<unknown> | undefined {
      const destroy = () => {
        (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      };
      if (!callback) {
        return super.connect()?.catch((err: unknown) => {
          destroy();
          throw err;
        });
      }
      return super.connect((err?: Error) => {
        if (err) destroy();
        callback(err);
      });
    }
  }
  return PasswordSourceClient as unknown as typeof pg.Client;
}

interface ParsedConnectionString {
  password: string | undefined;
  withoutPassword: string;
  facts: Record<string, unknown>;
}

function parseConnectionString(value: string): ParsedConnectionString | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const facts: Record<string, unknown> = {};
  if (url.hostname) facts.host = url.hostname;
  if (url.port) facts.port = Number(url.port);
  if (url.pathname.length > 1) facts.database = decodeURIComponent(url.pathname.slice(1));
  if (url.username) facts.user = decodeURIComponent(url.username);
  url.password = '';
  return { password, withoutPassword: url.toString(), facts };
}

/** Pool metrics in Prometheus text format, for a `/metrics` endpoint or a sidecar scrape. */
export function poolMetricsText(metrics: PoolMetrics, prefix = 'db_pool'): string {
  const gauge = (name: string, help: string, value: number) =>
    `# HELP ${prefix}_${name} ${help}\n# TYPE ${prefix}_${name} gauge\n${prefix}_${name} ${value}\n`;
  const counter = (name: string, help: string, value: number) =>
    `# HELP ${prefix}_${name} ${help}\n# TYPE ${prefix}_${name} counter\n${prefix}_${name} ${value}\n`;
  return [
    gauge('connections', 'Open connections (in use and idle).', metrics.total),
    gauge('connections_idle', 'Idle connections.', metrics.idle),
    gauge('connections_max', 'Configured maximum connections.', metrics.max),
    gauge('waiting_clients', 'Callers queued for a connection (saturation).', metrics.waiting),
    counter('connect_failures_total', 'Failed connection attempts.', metrics.connectFailures),
    counter('auth_failures_total', 'Connection attempts refused with SQLSTATE 28P01.', metrics.authFailures),
    counter('connect_retries_total', 'Connect retries after a failure.', metrics.retries),
    counter('connect_recovered_total', 'Connects that succeeded on a retry.', metrics.recovered),
    counter('acquired_total', 'Connections handed out to queries and transactions.', metrics.acquired),
  ].join('');
}
