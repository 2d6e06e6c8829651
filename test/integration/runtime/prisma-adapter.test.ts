import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import { createPool, createPrismaAdapter, type ResilientPool } from '@prodguard/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_DIR, dbEnv, runScript } from '../example-app/example-app-fixtures.js';
import { captureLog, createTestRole, type TestRole } from './runtime-fixtures.js';

describe('the real Prisma 7 client on the resilient pool (createPrismaAdapter)', () => {
  let role: TestRole;
  let pool: ResilientPool;
  let prisma: PrismaClient;
  beforeAll(async () => {
    role = await createTestRole('prisma');
    const migrated = await runScript(join(APP_DIR, 'scripts', 'migrate.mjs'), ['deploy'], dbEnv(role));
    expect(migrated.code).toBe(0);
    pool = createPool({
      host: role.host,
      port: role.port,
      user: role.user,
      password: role.password,
      database: role.database.name,
      log: captureLog(),
    });
    prisma = new PrismaClient({ adapter: createPrismaAdapter(PrismaPg, pool) });
    await prisma.$connect();
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    if (pool && !pool.ending) await pool.end();
    await role?.drop();
  });

  it('sends queries through the pool: each one is counted by it', async () => {
    const before = pool.metrics().acquired;
    const templates = await prisma.template.findMany({ orderBy: { id: 'asc' } });
    expect(templates.map((t) => t.id)).toEqual(['classic', 'modern']);
    expect(await prisma.user.count()).toBe(0);
    expect(pool.metrics().acquired).toBe(before + 2);
  });

  it('runs an interactive transaction on one pooled connection, and rolls it back on error', async () => {
    const before = pool.metrics().acquired;
    const user = await prisma.$transaction(async (tx) => {
      const created = await tx.user.create({
        data: { email: 'tx@example.com', name: 'Tx', passwordHash: 'x' },
      });
      await tx.resume.create({ data: { userId: created.id, title: 'CV', data: { skills: ['sql'] } } });
      return created;
    });
    expect(await prisma.resume.count({ where: { userId: user.id } })).toBe(1);
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { email: 'rolled@example.com', name: 'R', passwordHash: 'x' } });
        throw new Error('abort the transaction');
      }),
    ).rejects.toThrow('abort the transaction');
    expect(await prisma.user.findUnique({ where: { email: 'rolled@example.com' } })).toBeNull();
    // Two transactions (one connection each) and two reads.
    expect(pool.metrics().acquired).toBe(before + 4);
  });
});
