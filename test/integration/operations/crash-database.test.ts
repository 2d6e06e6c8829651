import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { createDbProject, type DbProject } from '../database/project.js';

// migrate deploy, migrate rollback and db restore, killed with SIGKILL by the real CLI at their journaled
// steps (PRODGUARD_FAILPOINTS), then resumed or aborted. After each: nothing is left running, and
// `_prisma_migrations` matches the schema: every applied row's table exists, no unfinished attempt is left,
// no table exists without its applied row.

interface OperationRow {
  id: string;
  kind: string;
  status: string;
}

const table = (n: number) => `t${n}`;
const name = (n: number) => `2026010${Math.floor(n / 10)}${n % 10}000000_t${n}`;

describe('a SIGKILL at any step of a database operation, then resume or abort', () => {
  let p: DbProject;
  let scratch: TestDatabase;
  let next = 1;

  const operations = async (): Promise<OperationRow[]> => {
    const listed = await p.cli(['operations', '--json', '--limit', '200']);
    expect(listed.exitCode, listed.stderr).toBe(0);
    return (JSON.parse(listed.stdout) as { operations: OperationRow[] }).operations;
  };

  async function crash(args: string[], point: string): Promise<void> {
    const killed = await p.cli(args, undefined, { PRODGUARD_FAILPOINTS: point });
    expect(
      killed.signal,
      `${args.join(' ')} should die at ${point}:\n${killed.stdout}\n${killed.stderr}`,
    ).toBe('SIGKILL');
  }

  async function recover(point: string, way: 'resume' | 'abort'): Promise<void> {
    const interrupted = (await operations()).filter((o) => o.status === 'interrupted');
    expect(interrupted.length, `${point}: one interrupted operation`).toBe(1);
    const out = await p.cli([way, interrupted[0]!.id]);
    expect([0, 3], `${way} after ${point}:\n${out.stdout}\n${out.stderr}`).toContain(out.exitCode);
    const after = (await operations()).find((o) => o.id === interrupted[0]!.id);
    expect(after?.status, `${way} after ${point}:\n${out.stdout}\n${out.stderr}`).not.toMatch(
      /running|interrupted/,
    );
  }

  /** `_prisma_migrations` and the schema tell the same story. */
  async function assertConsistent(label: string): Promise<void> {
    expect(
      (await operations()).filter((o) => /running|interrupted/.test(o.status)),
      label,
    ).toEqual([]);
    const rows = await p.query<{
      migration_name: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
    }>('local', 'SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations');
    expect(
      rows.filter((r) => r.finished_at === null && r.rolled_back_at === null).map((r) => r.migration_name),
      `${label}: no unfinished attempt`,
    ).toEqual([]);
    const applied = new Set(
      rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name),
    );
    const tables = new Set(
      (
        await p.query<{ relname: string }>(
          'local',
          "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname ~ '^t[0-9]+$'",
        )
      ).map((r) => r.relname),
    );
    for (let n = 1; n < next; n++) {
      expect(tables.has(table(n)), `${label}: ${table(n)} exists exactly when ${name(n)} is applied`).toBe(
        applied.has(name(n)),
      );
    }
  }

  function addMigration(): number {
    const n = next++;
    p.migration(
      name(n),
      `CREATE TABLE "${table(n)}" (id bigint PRIMARY KEY);\n`,
      `DROP TABLE "${table(n)}";\n`,
    );
    return n;
  }

  beforeAll(async () => {
    p = await createDbProject();
    scratch = await createTestDatabase('restore');
  });
  afterAll(async () => {
    await scratch?.drop();
    await p?.cleanup();
  });

  it.each([
    ['begin:started', 'resume'],
    ['apply:first:started', 'abort'],
    ['apply:first:succeeded', 'resume'],
    ['apply:second:started', 'resume'],
    ['apply:second:succeeded', 'abort'],
  ] as const)('migrate deploy killed at %s, then %s', async (where, way) => {
    const first = addMigration();
    const second = addMigration();
    const point = `migrate-deploy:${where.replace('first', name(first)).replace('second', name(second))}`;
    await crash(['migrate', 'deploy', 'local'], point);
    await recover(point, way);
    await assertConsistent(`migrate deploy ${point} → ${way}`);
    // whatever was left pending applies cleanly afterwards
    const rest = await p.cli(['migrate', 'deploy', 'local']);
    expect(rest.exitCode, rest.stdout + rest.stderr).toBe(0);
    await assertConsistent(`migrate deploy after ${point}`);
  });

  it.each([
    ['migrate-rollback:begin:started', 'abort', true],
    ['migrate-rollback:backup:succeeded', 'resume', false],
    ['migrate-rollback:run-down:started', 'abort', true],
    ['migrate-rollback:run-down:started', 'resume', false],
  ] as const)('migrate rollback killed at %s, then %s', async (point, way, stillApplied) => {
    const n = addMigration();
    expect((await p.cli(['migrate', 'verify-rollback', 'local'])).exitCode).toBe(0);
    expect((await p.cli(['migrate', 'deploy', 'local'])).exitCode).toBe(0);
    await crash(['migrate', 'rollback', 'local', name(n)], point);
    await recover(point, way);
    await assertConsistent(`migrate rollback ${point} → ${way}`);
    const [row] = await p.query<{ t: string | null }>(
      'local',
      `SELECT to_regclass('"${table(n)}"')::text AS t`,
    );
    expect(row!.t !== null, `${table(n)} after ${point} → ${way}`).toBe(stillApplied);
  });

  it('db restore killed while pg_restore runs: abort closes it and names the scratch database to drop', async () => {
    const backup = await p.cli(['db', 'backup', 'local', '--json']);
    expect(backup.exitCode, backup.stderr).toBe(0);
    const id = String((JSON.parse(backup.stdout) as { backup: { id: number } }).backup.id);
    await crash(['db', 'restore', id, '--into', scratch.url], 'db-restore:pg-restore:started');
    const interrupted = (await operations()).filter((o) => o.status === 'interrupted');
    expect(interrupted.map((o) => o.kind)).toEqual(['db-restore']);
    const resumed = await p.cli(['resume', interrupted[0]!.id]);
    expect(resumed.exitCode).toBe(2);
    expect(resumed.stderr).toContain('PRODGUARD_OPERATION_NOT_RESUMABLE');
    const aborted = await p.cli(['abort', interrupted[0]!.id]);
    expect(aborted.exitCode, aborted.stderr).toBe(0);
    expect(aborted.stdout).toMatch(/may hold part of backup .*drop it, create it empty and restore again/);
    expect(aborted.stdout + aborted.stderr).not.toContain(new URL(scratch.url).password || 'no-password');
    await assertConsistent('db restore → abort');
  });
});
