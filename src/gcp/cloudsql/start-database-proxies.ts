import type { Config } from '../../config/index.js';
import {
  type DatabaseRoute,
  hasDatabase,
  previousDatabaseEnvironment,
  withDatabaseRoutes,
} from '../../database/database-target.js';
import type { Clock } from '../../kernel/clock.js';
import { freePort } from '../../kernel/free-port.js';
import { type RunningCloudSqlProxy, startCloudSqlProxy } from './cloud-sql-proxy.js';
import { decideSqlProxy, type SqlProxyLaunch } from './decide-sql-proxy.js';

export interface StartedSqlProxy {
  environment: string;
  connectionName: string;
  port: number;
}

/** The proxies one command runs with; `env` resolves those environments' databases through them. */
export interface DatabaseProxies {
  readonly env: NodeJS.ProcessEnv;
  readonly started: readonly StartedSqlProxy[];
  /** Stops every proxy and waits until each process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartDatabaseProxiesOptions {
  clock: Clock;
  /** Only these environments (and the ones before them in the chain); default every environment. */
  environments?: readonly string[];
  signal?: AbortSignal;
}

/** True when some environment may need the proxy: lets a command skip loading this module's work entirely. */
export function mayNeedSqlProxy(config: Pick<Config, 'environments'>): boolean {
  return Object.values(config.environments).some(
    (e) =>
      e.platform?.kind === 'cloudrun' &&
      e.platform.sqlProxy.mode !== 'off' &&
      Boolean(e.platform.sqlInstance || e.platform.sqlProxy.connectionName),
  );
}

/**
 * The proxy's environment: prodguard's own variables without any database URL or prodguard setting. The
 * proxy needs Google credentials (ADC, GOOGLE_APPLICATION_CREDENTIALS) and the connection name only.
 */
export function proxyEnvironment(
  config: Pick<Config, 'environments' | 'database'>,
  env: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const named = new Set<string>();
  for (const e of Object.values(config.environments)) {
    if (e.database?.urlEnv) named.add(e.database.urlEnv);
    if (e.database?.readonlyUrlEnv) named.add(e.database.readonlyUrlEnv);
  }
  if (config.database.shadowUrlEnv) named.add(config.database.shadowUrlEnv);
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || named.has(key) || key.startsWith('PRODGUARD_')) continue;
    if (/^postgres(ql)?:\/\/[^/]*:[^/]*@/i.test(value)) continue; // any URL carrying a password
    out[key] = value;
  }
  return out;
}

function urlResolvable(config: Pick<Config, 'environments'>, environment: string, env: NodeJS.ProcessEnv) {
  const db = config.environments[environment]?.database;
  return Boolean((db?.urlEnv && env[db.urlEnv]) || db?.url);
}

/**
 * Starts the Cloud SQL Auth Proxy for each environment whose database the command may use and that
 * `platform.sqlProxy` sends through it, each on its own free loopback port, in parallel. A proxy that
 * fails to start does not fail the others: its error is thrown where that environment's database is
 * resolved, so `migrate status` still reports every other environment. Undefined when nothing is proxied.
 */
export async function startDatabaseProxies(
  config: Pick<Config, 'environments' | 'environmentOrder' | 'database'>,
  env: NodeJS.ProcessEnv,
  options: StartDatabaseProxiesOptions,
): Promise<DatabaseProxies | undefined> {
  const wanted = new Set<string>();
  for (const name of options.environments ?? config.environmentOrder) {
    if (!config.environments[name]) continue;
    wanted.add(name);
    const previous = previousDatabaseEnvironment(config, name);
    if (previous) wanted.add(previous);
  }
  const launches: SqlProxyLaunch[] = [];
  const routes = new Map<string, DatabaseRoute>();
  for (const environment of wanted) {
    if (!hasDatabase(config, environment) || !urlResolvable(config, environment, env)) continue;
    try {
      const decision = decideSqlProxy(config, environment, env);
      if (decision.start) launches.push(decision.launch);
    } catch (error) {
      routes.set(environment, { error: error as Error });
    }
  }
  if (launches.length === 0 && routes.size === 0) return undefined;
  const proxyEnv = proxyEnvironment(config, env);
  const running: { launch: SqlProxyLaunch; proxy: RunningCloudSqlProxy }[] = [];
  await Promise.all(
    launches.map(async (launch) => {
      try {
        const proxy = await startCloudSqlProxy({
          connectionName: launch.connectionName,
          port: await freePort(),
          binary: launch.binary,
          privateIp: launch.privateIp,
          startTimeoutMs: launch.startTimeoutMs,
          clock: options.clock,
          env: proxyEnv,
          environment: launch.environment,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        running.push({ launch, proxy });
        routes.set(launch.environment, { url: (url) => proxy.url(url) });
      } catch (error) {
        routes.set(launch.environment, { error: error as Error });
      }
    }),
  );
  let stopping: Promise<void> | undefined;
  return {
    env: withDatabaseRoutes(env, routes),
    started: running.map(({ launch, proxy }) => ({
      environment: launch.environment,
      connectionName: launch.connectionName,
      port: proxy.port,
    })),
    stop: () => {
      stopping ??= Promise.all(running.map(({ proxy }) => proxy.stop())).then(() => undefined);
      return stopping;
    },
  };
}
