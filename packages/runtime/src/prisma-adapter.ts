import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type pg from 'pg';

/** The part of a Prisma SQL driver adapter this module looks at (`@prisma/adapter-pg`'s `PrismaPgAdapter`). */
export interface PrismaSqlAdapterLike {
  /** The pg pool or client the adapter sends its queries to (Prisma ≥ 6.6). */
  underlyingDriver?(): unknown;
  queryRaw(query: { sql: string; args: unknown[]; argTypes: unknown[] }): Promise<unknown>;
  dispose(): Promise<void>;
}

/** The part of a Prisma driver adapter factory (`new PrismaPg(pool)`) this module wraps. */
export interface PrismaAdapterFactoryLike {
  readonly provider: string;
  readonly adapterName: string;
  connect(): Promise<PrismaSqlAdapterLike>;
}

/** A pool that counts the connections it hands out (`ResilientPool.metrics().acquired`). */
export type CountingPool = pg.Pool & { metrics(): { acquired: number } };

/**
 * Thrown when Prisma's adapter would not use the resilient pool. `@prisma/adapter-pg` recognises a pool
 * with `instanceof pg.Pool` against its own copy of `pg`; when the application holds two copies, the
 * check fails and the adapter silently treats the pool as a plain config object: it opens its own pool to
 * `localhost:5432`, with none of the timeouts, the retry or the password source.
 */
export class PrismaPoolMismatchError extends Error {
  readonly code = 'PRODGUARD_RUNTIME_PG_MISMATCH';
  readonly hint: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    const version = poolPgVersion();
    super(
      `Prisma's pg adapter would not use the resilient pool: ${reason}. ` +
        `It would have opened a pool of its own (localhost:5432 by default) without the pool's timeouts, retry and password source. ` +
        `The resilient pool was built with pg ${version}; @prisma/adapter-pg loaded another copy of pg.`,
      options,
    );
    this.name = 'PrismaPoolMismatchError';
    this.hint =
      `Keep one copy of pg in the application: "npm ls pg" must show a single version. ` +
      `Install a pg version that satisfies @prisma/adapter-pg's range (npm install pg@${version === 'unknown' ? '<version>' : version}), then "npm dedupe".`;
  }
}

/**
 * Builds `@prisma/adapter-pg`'s adapter on a resilient pool and makes sure Prisma really uses that pool.
 * When Prisma connects (`$connect()` or the first query), the adapter's pool must be this very pool;
 * otherwise it fails with `PrismaPoolMismatchError` before any query leaves, instead of the adapter's
 * silent fallback to `localhost:5432`. Older adapters without `underlyingDriver()` are checked with a
 * first query (`SELECT 1`) that must be counted by the pool.
 *
 * @example
 * import { PrismaPg } from '@prisma/adapter-pg';
 * import { PrismaClient } from '@prisma/client';
 * import { createPool, createPrismaAdapter, poolOptionsFromEnv } from '@prodguard/runtime';
 *
 * const pool = createPool(poolOptionsFromEnv(process.env));
 * const prisma = new PrismaClient({ adapter: createPrismaAdapter(PrismaPg, pool) });
 * await prisma.$connect(); // fails fast when two copies of pg would bypass the pool
 */
export function createPrismaAdapter<Options, Factory extends PrismaAdapterFactoryLike>(
  PrismaPg: new (pool: pg.Pool, options?: Options) => Factory,
  pool: CountingPool,
  options?: Options,
): Factory {
  if (typeof pool?.metrics !== 'function') {
    throw new TypeError('createPrismaAdapter takes the pool returned by createPool()');
  }
  const factory = options === undefined ? new PrismaPg(pool) : new PrismaPg(pool, options);
  const connect = factory.connect.bind(factory);
  Object.defineProperty(factory, 'connect', {
    configurable: true,
    writable: true,
    value: async () => {
      const adapter = await connect();
      try {
        await assertUsesPool(adapter, pool);
      } catch (error) {
        await adapter.dispose();
        throw error;
      }
      return adapter;
    },
  });
  return factory;
}

async function assertUsesPool(adapter: PrismaSqlAdapterLike, pool: CountingPool): Promise<void> {
  if (typeof adapter.underlyingDriver === 'function') {
    if (adapter.underlyingDriver() !== pool) {
      throw new PrismaPoolMismatchError('the adapter is not connected to the pool it was given');
    }
    return;
  }
  const before = pool.metrics().acquired;
  let probeError: unknown;
  try {
    await adapter.queryRaw({ sql: 'SELECT 1', args: [], argTypes: [] });
  } catch (error) {
    probeError = error;
  }
  if (pool.metrics().acquired === before) {
    throw new PrismaPoolMismatchError('a first query through the adapter did not go through the pool', {
      cause: probeError,
    });
  }
  if (probeError !== undefined) throw probeError;
}

/** The version of the pg this module (and so the pool) loads; older pg versions do not export package.json. */
function poolPgVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    let dir = dirname(require.resolve('pg'));
    for (let depth = 0; depth < 5; depth++, dir = dirname(dir)) {
      const manifest = join(dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pg' && pkg.version) return pkg.version;
    }
  } catch {
    // fall through: the version only makes the message more precise
  }
  return 'unknown';
}
