import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readFaultConfig } from './fault-switch.js';

/** Everything the service reads from its environment, validated once at start. */
export function readConfig(env, appDir) {
  const errors = [];
  const port = Number(env.PORT ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    errors.push(`PORT must be a port number, got "${env.PORT}"`);
  const jwtSecret = env.JWT_SECRET ?? '';
  if (jwtSecret.length < 16) errors.push('JWT_SECRET must be set to at least 16 characters');
  const jwtPrevious = env.JWT_SECRET_PREVIOUS || undefined;
  if (jwtPrevious !== undefined && jwtPrevious.length < 16) {
    errors.push('JWT_SECRET_PREVIOUS, when set, must be at least 16 characters');
  }
  const ttl = Number(env.JWT_TTL_SECONDS ?? '3600');
  if (!Number.isInteger(ttl) || ttl < 1) errors.push('JWT_TTL_SECONDS must be a positive integer');
  const hasDb = Boolean(env.DATABASE_URL || env.DB_HOST || env.DB_NAME);
  if (!hasDb)
    errors.push(
      'set DATABASE_URL, or DB_HOST, DB_PORT, DB_USER, DB_NAME and DB_PASSWORD (or DB_PASSWORD_FILE)',
    );
  let fault;
  try {
    fault = readFaultConfig(env, appDir);
  } catch (error) {
    errors.push(error.message);
  }
  if (errors.length > 0) {
    throw new Error(`cvstomize-api: invalid configuration:\n  - ${errors.join('\n  - ')}`);
  }
  const maintenanceFile = join(appDir, 'MAINTENANCE');
  return {
    appDir,
    port,
    host: env.HOST || '127.0.0.1',
    release: env.RELEASE || env.PRODGUARD_REVISION || env.K_REVISION || 'dev',
    jwt: { secret: jwtSecret, previous: jwtPrevious, ttlSeconds: ttl },
    fault,
    shutdownBudgetMs: Number(env.SHUTDOWN_BUDGET_MS ?? '10000'),
    healthTimeoutMs: Number(env.HEALTH_TIMEOUT_MS ?? '2000'),
    maintenance: () => env.MAINTENANCE === '1' || existsSync(maintenanceFile),
  };
}
