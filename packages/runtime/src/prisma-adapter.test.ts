import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPool } from './create-pool.js';
import { createPrismaAdapter, PrismaPoolMismatchError, type PrismaSqlAdapterLike } from './prisma-adapter.js';

/** Shaped like @prisma/adapter-pg's factory: it keeps the pool only when `instanceof` its own pg.Pool passes. */
function adapterFactoryFor(PoolClass: typeof pg.Pool, withUnderlyingDriver = true) {
  return class FakePrismaPg {
    readonly provider = 'postgres';
    readonly adapterName = '@prisma/adapter-pg';
    readonly queries: string[] = [];
    disposed = false;
    readonly #client: pg.Pool;
    constructor(poolOrConfig: pg.Pool) {
      this.#client =
        poolOrConfig instanceof PoolClass ? poolOrConfig : ({ fallback: true } as unknown as pg.Pool);
    }
    async connect(): Promise<PrismaSqlAdapterLike> {
      const client = this.#client;
      const adapter: PrismaSqlAdapterLike = {
        queryRaw: async (query) => {
          this.queries.push(query.sql);
          if ('fallback' in client) throw new Error("Can't reach database server at 127.0.0.1:5432");
          return client.query(query.sql);
        },
        dispose: async () => {
          this.disposed = true;
        },
      };
      if (withUnderlyingDriver) adapter.underlyingDriver = () => client;
      return adapter;
    }
  };
}

/** What a second copy of pg looks like from the adapter's side: a Pool class the pool is no instance of. */
class OtherCopyOfPool extends pg.Pool {}

describe('createPrismaAdapter', () => {
  const pool = () =>
    createPool({
      connectionString: 'postgresql://app@127.0.0.1:1/app',
      log: { info() {}, warn() {}, error() {} },
    });

  it('returns the adapter when it runs on the pool it was given', async () => {
    const p = pool();
    const factory = createPrismaAdapter(adapterFactoryFor(pg.Pool), p);
    const adapter = await factory.connect();
    expect(adapter.underlyingDriver?.()).toBe(p);
    await p.end();
  });

  it('fails with a clear error, before any query, when the adapter fell back to a pool of its own', async () => {
    const p = pool();
    const factory = createPrismaAdapter(adapterFactoryFor(OtherCopyOfPool), p);
    const error = await factory.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PrismaPoolMismatchError);
    expect(error).toMatchObject({ code: 'PRODGUARD_RUNTIME_PG_MISMATCH' });
    expect((error as Error).message).toMatch(
      /would not use the resilient pool.*localhost:5432.*pg \d+\.\d+\.\d+/s,
    );
    expect((error as PrismaPoolMismatchError).hint).toMatch(/npm ls pg/);
    expect(factory.queries).toEqual([]);
    expect(factory.disposed).toBe(true);
    await p.end();
  });

  it('without underlyingDriver() (older adapters), a first query the pool did not count is the same error', async () => {
    const p = pool();
    const factory = createPrismaAdapter(adapterFactoryFor(OtherCopyOfPool, false), p);
    const error = await factory.connect().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(PrismaPoolMismatchError);
    expect(String((error?.cause as Error | undefined)?.message)).toContain('127.0.0.1:5432');
    expect(factory.queries).toEqual(['SELECT 1']);
    await p.end();
  });

  it('takes only a pool made by createPool', () => {
    expect(() => createPrismaAdapter(adapterFactoryFor(pg.Pool), new pg.Pool() as never)).toThrow(
      'createPrismaAdapter takes the pool returned by createPool()',
    );
  });
});
