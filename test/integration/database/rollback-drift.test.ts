import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbProject, type DbProject } from './project.js';

const UP = `CREATE TYPE "Kind" AS ENUM ('a', 'b');
CREATE TABLE "Item" ("id" BIGSERIAL PRIMARY KEY, "kind" "Kind" NOT NULL DEFAULT 'a', "name" TEXT);
`;
const WRONG_DOWN = 'DROP TABLE "Item";\n';
const RIGHT_DOWN = 'DROP TABLE "Item";\nDROP TYPE "Kind";\n';

describe('rollback verification and drift detection (real CLI, real PostgreSQL)', () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await createDbProject();
    p.migration('20260201000000_items', UP, WRONG_DOWN);
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('catches a down.sql that does not undo the migration', async () => {
    const r = await p.cli(['migrate', 'verify-rollback', 'local']);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stdout).toContain(
      '✗ 20260201000000_items: down.sql does not restore the schema: 1 difference(s)',
    );
    expect(r.stdout).toContain('unexpected enum public.Kind');
    const rollback = await p.cli(['migrate', 'rollback', 'local', '20260201000000_items']);
    expect(rollback.exitCode, rollback.stderr).toBe(1);
    expect(rollback.stderr).toContain('its verification failed');
  });

  it('rolls back with a verified down.sql so Prisma sees the migration as not applied', async () => {
    p.migration('20260201000000_items', UP, RIGHT_DOWN);
    const verify = await p.cli(['migrate', 'verify-rollback', 'local']);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
    const r = await p.cli(['migrate', 'rollback', 'local', '20260201000000_items']);
    expect(r.stderr).toBe('');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await p.query('local', `SELECT to_regclass('"Item"') AS t, to_regtype('"Kind"') AS k`)).toEqual([
      { t: null, k: null },
    ]);
    const rows = await p.query('local', 'SELECT finished_at, rolled_back_at FROM _prisma_migrations');
    expect(rows[0]!.rolled_back_at).toBeInstanceOf(Date);
    const status = JSON.parse((await p.cli(['migrate', 'status', '--env', 'local', '--json'])).stdout);
    expect(status.cells['20260201000000_items'].local).toBe('pending');
    const audit = JSON.parse((await p.cli(['audit', 'log', '--json'])).stdout);
    expect(
      audit.events.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`),
    ).toContain('migrate.rollback:success');
  });

  it('reports no drift on a database that matches its migrations, and catches a hand-made ALTER TABLE', async () => {
    expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
    const clean = await p.cli(['db', 'drift', 'local']);
    expect(clean.stdout).toContain('✓ local matches its 1 applied migration(s)');
    expect(clean.exitCode, clean.stderr).toBe(0);

    await p.query('local', 'ALTER TABLE "Item" ADD COLUMN "price" INTEGER NOT NULL DEFAULT 0');
    await p.query('local', 'ALTER TABLE "Item" ALTER COLUMN "name" SET NOT NULL');
    await p.query('local', 'CREATE INDEX "Item_name_idx" ON "Item"("name")');
    await p.query('local', `ALTER TYPE "Kind" ADD VALUE 'c'`);
    const r = await p.cli(['db', 'drift', 'local', '--json']);
    expect(r.exitCode, r.stderr).toBe(1);
    const result = JSON.parse(r.stdout);
    const found = result.differences.map(
      (d: { kind: string; object: string; change: string }) => `${d.change} ${d.kind} ${d.object}`,
    );
    expect(found).toEqual([
      'changed column public.Item.name',
      'unexpected column public.Item.price',
      'unexpected index public.Item_name_idx',
      'changed enum public.Kind',
    ]);
    const human = await p.cli(['db', 'drift', 'local']);
    expect(human.stdout).toContain('+ column public.Item.price (unexpected)');
    expect(human.stdout).toContain('database:   integer NOT NULL DEFAULT 0');
  });
});
