import { isAbsolute, join } from 'node:path';
import { assertEnvironment, type Config } from '../config/index.js';
import { decideSqlProxy } from '../gcp/cloudsql/decide-sql-proxy.js';
import { ProdguardError } from '../kernel/errors.js';
import { isInScope } from '../rules/index.js';

/** Where one environment's database is, resolved from config and the process environment. */
export interface DatabaseTarget {
  environment: string;
  url: string;
  /** True for the last environment of the chain (production): the strict rules apply. */
  final: boolean;
}

export type DatabaseConfigView = Pick<
  Config,
  'root' | 'environments' | 'environmentOrder' | 'database' | 'stateDirPath'
>;

export function migrationsDirOf(config: Pick<Config, 'root' | 'database'>): string {
  const setting = config.database.migrations;
  const dir =
    typeof setting === 'string'
      ? setting
      : (setting.dir ?? (setting.tool === 'prisma' ? 'prisma/migrations' : 'migrations'));
  return isAbsolute(dir) ? dir : join(config.root, dir);
}

export function backupsDirOf(config: Pick<Config, 'root' | 'database' | 'stateDirPath'>): string {
  const dir = config.database.backups;
  if (dir === undefined) return join(config.stateDirPath, 'backups');
  return isAbsolute(dir) ? dir : join(config.root, dir);
}

/** False when the environment declares no database at all (neither database.url nor database.urlEnv). */
export function hasDatabase(config: Pick<Config, 'environments'>, environment: string): boolean {
  const db = config.environments[environment]?.database;
  return Boolean(db?.url || db?.urlEnv);
}

/** How one environment's database is reached for this command: through a started proxy, or its start failed. */
export type DatabaseRoute = { readonly url: (databaseUrl: string) => string } | { readonly error: Error };

// Keyed by the env object a command runs with, so the route lives exactly as long as that command's
// variables and needs no new parameter on the dozen synchronous callers of resolveDatabaseTarget.
const routes = new WeakMap<object, ReadonlyMap<string, DatabaseRoute>>();

/**
 * A copy of `env` whose databases resolve through `routes` (the Cloud SQL Auth Proxy the command started):
 * resolveDatabaseTarget(config, environment, copy) returns the proxied URL, or throws the start's error.
 */
export function withDatabaseRoutes(
  env: NodeJS.ProcessEnv,
  entries: ReadonlyMap<string, DatabaseRoute>,
): NodeJS.ProcessEnv {
  const copy = { ...env };
  routes.set(copy, entries);
  return copy;
}

/** The environment's connection URL: `database.url`, or the variable named by `database.urlEnv`. */
export function resolveDatabaseTarget(
  config: DatabaseConfigView,
  environment: string,
  env: NodeJS.ProcessEnv,
): DatabaseTarget {
  assertEnvironment(config, environment);
  const db = config.environments[environment]?.database;
  const fromEnv = db?.urlEnv ? env[db.urlEnv] : undefined;
  const url = fromEnv ?? db?.url;
  if (!url) {
    throw new ProdguardError(
      'PRODGUARD_DB_URL_MISSING',
      db?.urlEnv
        ? `Environment ${environment}: the variable ${db.urlEnv} (environments.${environment}.database.urlEnv) is not set.`
        : `Environment ${environment} has no database (environments.${environment}.database.url or urlEnv).`,
      {
        kind: 'usage',
        hint: `Set environments.${environment}.database.urlEnv: DATABASE_URL_${environment.toUpperCase().replace(/-/g, '_')} in prodguard.yaml and export that variable.`,
      },
    );
  }
  return {
    environment,
    url: routeDatabaseUrl(config, environment, env, url),
    final: isInScope('final', environment, config),
  };
}

/**
 * A URL of this environment's database (the app's, a rotated login's) as this command reaches it: through
 * the proxy it started, else as written. A command that did not start the proxy this environment
 * requires never connects around it.
 */
export function routeDatabaseUrl(
  config: Pick<Config, 'environments'> & Partial<Pick<Config, 'root'>>,
  environment: string,
  env: NodeJS.ProcessEnv,
  url: string,
): string {
  const route = routes.get(env)?.get(environment);
  if (route && 'error' in route) throw route.error;
  if (route) return route.url(url);
  if (decideSqlProxy(config, environment, env).start)
    throw new ProdguardError(
      'PRODGUARD_GCP_PROXY_NOT_STARTED',
      `Environment ${environment} connects through the Cloud SQL Auth Proxy, but this command did not start it.`,
      {
        hint: `prodguard's database commands start it; from the library, run with the env of startDatabaseProxies(config, env, { clock }) and stop() it after. Meanwhile start cloud-sql-proxy yourself, point the URL at it and set environments.${environment}.platform.sqlProxy.mode: off.`,
      },
    );
  return url;
}

/** The shadow server URL, when configured (otherwise an embedded PostgreSQL is used). */
export function resolveShadowUrl(
  config: Pick<Config, 'database'>,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const fromEnv = config.database.shadowUrlEnv ? env[config.database.shadowUrlEnv] : undefined;
  return fromEnv ?? config.database.shadowUrl;
}

/** The environment before this one in the promotion chain (`requires`, else the previous one written). */
export function previousEnvironment(
  config: Pick<Config, 'environments' | 'environmentOrder'>,
  environment: string,
): string | undefined {
  const requires = config.environments[environment]?.requires;
  if (requires) return requires;
  const index = config.environmentOrder.indexOf(environment);
  return index > 0 ? config.environmentOrder[index - 1] : undefined;
}

/**
 * The environment whose migrations must come first: the previous one in the chain that has a database (an
 * environment without one, a preview, holds no migrations). Bounded against a cycle in `requires`.
 */
export function previousDatabaseEnvironment(
  config: Pick<Config, 'environments' | 'environmentOrder'>,
  environment: string,
): string | undefined {
  let previous = previousEnvironment(config, environment);
  for (let hops = 0; previous && !hasDatabase(config, previous) && hops < 100; hops++)
    previous = previousEnvironment(config, previous);
  return previous;
}

/**
 * The read-only role URL for the console: the variable named by `environments.<env>.database.readonlyUrlEnv`,
 * else the vault secret `database.readonlySecret` pinned in that environment (`readPinnedSecret` reads it).
 */
export async function resolveReadonlyUrl(
  config: Pick<Config, 'environments' | 'database'>,
  environment: string,
  env: NodeJS.ProcessEnv,
  readPinnedSecret: (name: string, environment: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  const url = await readonlyUrlAsWritten(config, environment, env, readPinnedSecret);
  // The read-only role reaches the same instance: through the same proxy when the command started one.
  const route = routes.get(env)?.get(environment);
  if (url === undefined || !route) return url;
  if ('error' in route) throw route.error;
  return route.url(url);
}

async function readonlyUrlAsWritten(
  config: Pick<Config, 'environments' | 'database'>,
  environment: string,
  env: NodeJS.ProcessEnv,
  readPinnedSecret: (name: string, environment: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  const variable = config.environments[environment]?.database?.readonlyUrlEnv;
  if (variable) {
    const value = env[variable];
    if (!value)
      throw new ProdguardError(
        'PRODGUARD_DB_URL_MISSING',
        `Environment ${environment}: the variable ${variable} (environments.${environment}.database.readonlyUrlEnv) is not set.`,
        {
          kind: 'usage',
          hint: `Export ${variable} with the read-only role's URL, or remove readonlyUrlEnv to use the vault secret ${config.database.readonlySecret}.`,
        },
      );
    return value;
  }
  return readPinnedSecret(config.database.readonlySecret, environment);
}

/**
 * Whether `prodguard sql` applies the production console's allowlist here: always on the final environment
 * (its rule's severity cannot be lowered for the console), and on any environment listed in
 * `rules.no-direct-production-changes.environments` (a team may widen it, e.g. to staging).
 */
export function isStrictConsole(
  config: Pick<Config, 'environments' | 'rules'>,
  environment: string,
  final: boolean,
): boolean {
  return (
    final || (config.rules['no-direct-production-changes']?.environments?.includes(environment) ?? false)
  );
}
