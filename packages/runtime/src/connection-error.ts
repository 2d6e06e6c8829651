/** SQLSTATE invalid_password: PostgreSQL refused the credential (e.g. right after a rotation). */
export const INVALID_PASSWORD = '28P01';

const RETRYABLE_SQLSTATE = new Set([
  INVALID_PASSWORD,
  '57P01', // admin_shutdown: server restarting or connection terminated by an administrator
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: server starting up or in recovery
  '53300', // too_many_connections: transient while an old revision drains
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08006', // connection_failure
]);

const RETRYABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

export type ConnectFailureKind = 'auth' | 'connection' | 'timeout' | 'pool-exhausted' | 'other';

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** Classifies an error raised while acquiring a connection (nothing has been sent yet, so a retry is safe). */
export function classifyConnectError(error: unknown): ConnectFailureKind {
  const e = (error ?? {}) as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : '';
  if (code === INVALID_PASSWORD) return 'auth';
  if (message === 'timeout exceeded when trying to connect') return 'pool-exhausted';
  if (message.startsWith('Connection terminated due to connection timeout')) return 'timeout';
  if (code && (RETRYABLE_SQLSTATE.has(code) || RETRYABLE_ERRNO.has(code))) return 'connection';
  if (/Connection terminated|not queryable|ECONNREFUSED|ECONNRESET/.test(message)) return 'connection';
  return 'other';
}

/**
 * Whether one more attempt can help. Connect timeouts are not retried: the point of a 10 s timeout is to
 * fail fast, and a second wait would double it. A full pool is not retried either (that would only
 * lengthen the queue).
 */
export function isRetryableConnectError(error: unknown): boolean {
  const kind = classifyConnectError(error);
  return kind === 'auth' || kind === 'connection';
}

/** The facts worth logging about a pg error, without its message's parameters or the credential. */
export function describePgError(error: unknown): Record<string, unknown> {
  const e = (error ?? {}) as ErrorLike & { severity?: unknown; routine?: unknown };
  const out: Record<string, unknown> = {};
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.message === 'string') out.error = e.message;
  if (e.cause && typeof (e.cause as ErrorLike).message === 'string') {
    out.cause = (e.cause as ErrorLike).message;
  }
  return out;
}
