import type { CreatePoolOptions } from './create-pool.js';
import { passwordFromFile } from './password-source.js';

/**
 * Builds pool options from the conventional environment of a deployed service:
 * `DATABASE_URL`, or `DB_HOST`/`DB_PORT`/`DB_USER`/`DB_PASSWORD`/`DB_NAME`; `DB_PASSWORD_FILE` (re-read for
 * every new connection, and preferred over any other password); `DB_POOL_MAX`, `DB_CONNECT_TIMEOUT_MS`,
 * `DB_STATEMENT_TIMEOUT_MS`, `DB_MAX_LIFETIME_SECONDS`.
 *
 * @example
 * const pool = createPool({ ...poolOptionsFromEnv(process.env), applicationName: 'cvstomize-api' });
 */
export function poolOptionsFromEnv(env: NodeJS.ProcessEnv): CreatePoolOptions {
  const options: CreatePoolOptions = {};
  if (env.DATABASE_URL) {
    options.connectionString = env.DATABASE_URL;
  } else if (env.DB_HOST || env.DB_NAME || env.DB_USER) {
    if (env.DB_HOST) options.host = env.DB_HOST;
    if (env.DB_PORT) options.port = positiveInt(env, 'DB_PORT');
    if (env.DB_USER) options.user = env.DB_USER;
    if (env.DB_NAME) options.database = env.DB_NAME;
    if (env.DB_PASSWORD !== undefined) options.password = env.DB_PASSWORD;
  } else {
    throw new Error(
      'No database configured: set DATABASE_URL, or DB_HOST, DB_PORT, DB_USER, DB_NAME and DB_PASSWORD (or DB_PASSWORD_FILE)',
    );
  }
  if (env.DB_PASSWORD_FILE) options.password = passwordFromFile(env.DB_PASSWORD_FILE);
  if (env.DB_POOL_MAX) options.max = positiveInt(env, 'DB_POOL_MAX');
  if (env.DB_CONNECT_TIMEOUT_MS) options.connectionTimeoutMillis = positiveInt(env, 'DB_CONNECT_TIMEOUT_MS');
  if (env.DB_STATEMENT_TIMEOUT_MS)
    options.statementTimeoutMillis = positiveInt(env, 'DB_STATEMENT_TIMEOUT_MS');
  if (env.DB_MAX_LIFETIME_SECONDS !== undefined && env.DB_MAX_LIFETIME_SECONDS !== '') {
    options.maxLifetimeSeconds = positiveInt(env, 'DB_MAX_LIFETIME_SECONDS', true);
  }
  return options;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, allowZero = false): number {
  const raw = env[name] ?? '';
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${raw}"`);
  }
  return value;
}
