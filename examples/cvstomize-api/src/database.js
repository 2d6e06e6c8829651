import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';

/**
 * The Prisma client on the runtime's resilient pool, as the seed's team runs it (section 8): every query
 * and transaction acquires its connection from `pool`, so the fail-fast timeout, the retry on 28P01 and
 * the password re-read on each new connection apply to Prisma too. `createPrismaAdapter` refuses, at
 * `$connect()`, an adapter that would bypass the pool (two copies of `pg` in node_modules).
 */
export async function createDatabase(runtime, pool) {
  const prisma = new PrismaClient({ adapter: runtime.createPrismaAdapter(PrismaPg, pool) });
  await prisma.$connect();
  return prisma;
}
