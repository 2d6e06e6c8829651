/**
 * `@prodguard/runtime`: what a service imports to survive credential rotations, database restarts and
 * deploys: a resilient `pg.Pool`, readiness/liveness endpoints, and graceful shutdown on SIGTERM.
 * Its only dependency is the application's own `pg` (a peer dependency).
 */
export type { ConnectFailureKind } from './connection-error.js';
export { classifyConnectError, INVALID_PASSWORD, isRetryableConnectError } from './connection-error.js';
export type { CreatePoolOptions, PoolMetrics, PoolRetryOptions } from './create-pool.js';
export { createPool, poolMetricsText, ResilientPool } from './create-pool.js';
export type { GracefulShutdown, GracefulShutdownOptions, ShutdownResult } from './graceful-shutdown.js';
export { gracefulShutdown } from './graceful-shutdown.js';
export type {
  DatabaseHealth,
  HealthHandler,
  HealthHandlerOptions,
  HealthPool,
  HealthReport,
  HealthStatus,
  LivenessReport,
} from './health-handler.js';
export { healthHandler } from './health-handler.js';
export type { PasswordSource } from './password-source.js';
export { passwordFromEnv, passwordFromFile } from './password-source.js';
export { poolOptionsFromEnv } from './pool-options-from-env.js';
export type { CountingPool, PrismaAdapterFactoryLike, PrismaSqlAdapterLike } from './prisma-adapter.js';
export { createPrismaAdapter, PrismaPoolMismatchError } from './prisma-adapter.js';
export { redactText, redactValue } from './redact.js';
export type { JsonLineLogOptions, RuntimeLog } from './runtime-log.js';
export { jsonLineLog, redactingLog } from './runtime-log.js';
