import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Config } from '../../config/index.js';
import { ProdguardError } from '../../kernel/errors.js';

/** How to start the Cloud SQL Auth Proxy for one environment's database. */
export interface SqlProxyLaunch {
  environment: string;
  /** `project:region:instance`: all the proxy needs (no role, no password). */
  connectionName: string;
  /** The resolved executable path. */
  binary: string;
  privateIp: boolean;
  startTimeoutMs: number;
}

export type SqlProxyDecision =
  | { start: true; launch: SqlProxyLaunch }
  | { start: false; reason: 'not-cloud-sql' | 'off' | 'not-found' };

/** The executable `name` resolves to: a path as written, else the first match on PATH. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const candidates =
    name.includes('/') || isAbsolute(name)
      ? [name]
      : (env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, name));
  for (const path of candidates.slice(0, 200)) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here, or not executable: the next PATH entry may have it
    }
  }
  return undefined;
}

/**
 * Whether prodguard starts the proxy for this environment's database (`platform.sqlProxy`): only for a
 * Cloud Run environment with a Cloud SQL instance (or an explicit connection name); `auto` when the binary
 * is found, `on` always (a missing binary is then an error), `off` never.
 *
 * @example
 * decideSqlProxy(config, 'production', process.env) // { start: true, launch: { connectionName: 'p:us-central1:api-db', … } }
 */
export function decideSqlProxy(
  config: Pick<Config, 'environments'> & Partial<Pick<Config, 'root'>>,
  environment: string,
  env: NodeJS.ProcessEnv,
): SqlProxyDecision {
  const platform = config.environments[environment]?.platform;
  if (platform?.kind !== 'cloudrun' || !platform.project || !platform.region)
    return { start: false, reason: 'not-cloud-sql' };
  const settings = platform.sqlProxy;
  const connectionName =
    settings.connectionName ??
    (platform.sqlInstance ? `${platform.project}:${platform.region}:${platform.sqlInstance}` : undefined);
  if (!connectionName) return { start: false, reason: 'not-cloud-sql' };
  if (settings.mode === 'off') return { start: false, reason: 'off' };
  const name = settings.binary ?? 'cloud-sql-proxy';
  // A relative path in prodguard.yaml is relative to the project, not to where prodguard runs.
  const binary = findExecutable(
    name.includes('/') && !isAbsolute(name) && config.root ? join(config.root, name) : name,
    env,
  );
  if (!binary) {
    if (settings.mode === 'auto') return { start: false, reason: 'not-found' };
    throw new ProdguardError(
      'PRODGUARD_GCP_PROXY_NOT_FOUND',
      `Environment ${environment} needs the Cloud SQL Auth Proxy (platform.sqlProxy.mode: on), but ${settings.binary ? `${name} is not an executable file` : 'cloud-sql-proxy is not on PATH'}.`,
      {
        kind: 'usage',
        hint: `Install cloud-sql-proxy v2 (https://cloud.google.com/sql/docs/postgres/sql-proxy) on PATH, or set environments.${environment}.platform.sqlProxy.binary to its path; or set sqlProxy.mode: off and give a direct database URL.`,
      },
    );
  }
  return {
    start: true,
    launch: {
      environment,
      connectionName,
      binary,
      privateIp: settings.privateIp,
      startTimeoutMs: settings.startTimeout,
    },
  };
}

/**
 * The database URL through a proxy on 127.0.0.1:`port`: role, password, database and other parameters kept;
 * the host, a socket `host=/cloudsql/…` parameter and the TLS parameters dropped (the proxy encrypts to the
 * instance and listens in plain TCP on loopback). A URL that cannot be parsed is refused without echoing it.
 */
export function proxiedDatabaseUrl(databaseUrl: string, port: number, environment: string): string {
  // A Cloud Run socket URL has no host (postgresql://role:pw@/db?host=/cloudsql/…), which URL cannot parse.
  const hostless = /^(postgres(?:ql)?:\/\/(?:[^@/?#]*@)?)(\/.*)?$/.exec(databaseUrl);
  let url: URL;
  try {
    url = new URL(hostless ? `${hostless[1]}127.0.0.1${hostless[2] ?? ''}` : databaseUrl);
  } catch (cause) {
    throw new ProdguardError(
      'PRODGUARD_GCP_PROXY_FAILED',
      `The database URL of ${environment} is not a postgresql:// URL, so it cannot be sent through the Cloud SQL Auth Proxy.`,
      {
        kind: 'usage',
        cause,
        hint: 'Write it as postgresql://<role>:<password>@<host>/<database> (the host is replaced by the proxy).',
      },
    );
  }
  url.hostname = '127.0.0.1';
  url.port = String(port);
  for (const p of ['host', 'hostaddr', 'port', 'ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey'])
    url.searchParams.delete(p);
  return url.toString();
}
