import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_RETRIES } from '../../../src/database/index.js';
import { type Clock, ManualClock } from '../../../src/kernel/clock.js';
import { OperationStore } from '../../../src/operations/index.js';
import { openWorkspace } from '../../../src/workspace/index.js';
import { createDbProject, type DbProject, deployPrismaLocal } from './project.js';

/**
 * A migration queued behind a long transaction gives way after lock_timeout (so the queries queued behind
 * its ACCESS EXCLUSIVE request move again), pauses, and tries again: a bounded number of times, each retry
 * in the operation journal. Real PostgreSQL, a real blocking transaction; the pauses run on a manual clock.
 */
describe('migrate deploy behind a long transaction', () => {
  let p: DbProject;
  beforeAll(async () => {
    p = await createDbProject();
    p.write(
      'prodguard.yaml',
      readFileSync(join(p.dir, 'prodguard.yaml'), 'utf8').replace('lockTimeout: 3s', 'lockTimeout: 150ms'),
    );
    p.migration('20260101000000_t', 'CREATE TABLE "T" ("id" BIGSERIAL PRIMARY KEY);\n');
  });
  afterAll(async () => {
    await p.cleanup();
  });

  /** The manual clock, whose sleeps also call `onSleep` (the blocker ends on a chosen pause). */
  function clockWith(onSleep: (ms: number, n: number) => Promise<void>): { clock: Clock; pauses: number[] } {
    const pauses: number[] = [];
    class PausingClock extends ManualClock {
      override async sleep(ms: number): Promise<void> {
        pauses.push(ms);
        await onSleep(ms, pauses.length);
        await super.sleep(ms);
      }
    }
    return { clock: new PausingClock('2026-03-03T10:00:00Z'), pauses };
  }

  async function deploy(clock: Clock) {
    const ws = openWorkspace({ cwd: p.dir, env: p.env, clock });
    try {
      const result = await deployPrismaLocal(p, ws, clock);
      const journal = result.operationId
        ? new OperationStore(ws.store, clock, ws.audit).readJournal(result.operationId)
        : [];
      return { result, retries: journal.filter((e) => e.step.startsWith('lock-retry:')) };
    } finally {
      ws.close();
    }
  }

  async function blocker(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: p.dbs.local.url });
    await c.connect();
    await c.query('BEGIN');
    await c.query('SELECT count(*) FROM "T"');
    return c;
  }

  it('retries after lock_timeout and applies once the long transaction ends', async () => {
    await deploy(new ManualClock('2026-03-03T10:00:00Z'));
    p.migration('20260102000000_col', 'ALTER TABLE "T" ADD COLUMN "note" TEXT;\n');
    const long = await blocker();
    try {
      const { clock, pauses } = clockWith(async (_ms, n) => {
        if (n === 2) await long.query('COMMIT');
      });
      const { result, retries } = await deploy(clock);
      expect(result.error).toBeUndefined();
      expect(result.applied).toEqual(['20260102000000_col']);
      expect(pauses.filter((ms) => ms === 150 || ms === 300)).toEqual([150, 300]);
      expect(retries.map((e) => (e.data as { attempt: number }).attempt)).toEqual([1, 2]);
      expect(retries[0]?.data).toMatchObject({
        waitMs: 150,
        message: expect.stringContaining('lock timeout'),
      });
      expect(
        await p.query(
          'local',
          `SELECT column_name FROM information_schema.columns WHERE table_name = 'T' AND column_name = 'note'`,
        ),
      ).toHaveLength(1);
    } finally {
      await long.end();
    }
  });

  it('gives up after its bounded retries, the failure recorded, nothing half-applied', async () => {
    p.migration('20260103000000_col2', 'ALTER TABLE "T" ADD COLUMN "other" TEXT;\n');
    const long = await blocker();
    try {
      const { clock } = clockWith(async () => {});
      const { result, retries } = await deploy(clock);
      expect(result.applied).toEqual([]);
      expect(result.error).toMatchObject({ code: 'PRODGUARD_MIGRATE_FAILED' });
      expect(result.error?.message).toMatch(/lock timeout/);
      expect(retries).toHaveLength(LOCK_RETRIES);
      const rows = await p.query<{ logs: string | null; finished_at: Date | null }>(
        'local',
        `SELECT logs, finished_at FROM _prisma_migrations WHERE migration_name = '20260103000000_col2'`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.finished_at).toBeNull();
      expect(rows[0]?.logs).toMatch(/lock timeout/);
      expect(
        await p.query(
          'local',
          `SELECT 1 FROM information_schema.columns WHERE table_name = 'T' AND column_name = 'other'`,
        ),
      ).toHaveLength(0);
    } finally {
      await long.end();
    }
  });
});
