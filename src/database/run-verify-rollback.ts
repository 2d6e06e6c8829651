import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../kernel/clock.js';
import type { StateStore } from '../store/index.js';
import { applyMigrationScript } from './apply-migration-script.js';
import { writeRollbackVerification } from './database-records.js';
import type { MigrationHistory } from './migration-files.js';
import { describePgError, openPgSession } from './pg-session.js';
import { planMigrationStatus } from './plan-migration-status.js';
import { prismaChecksum } from './prisma-checksum.js';
import { readMigrationRows } from './prisma-migrations-table.js';
import { replayMigrations } from './replay-migrations.js';
import { diffSchema, readSchemaSnapshot, type SchemaDifference } from './schema-snapshot.js';
import type { ScratchServer } from './scratch-server.js';

export interface RollbackCheck {
  migration: string;
  ok: boolean;
  /** What went wrong: no down.sql, a script failed, or schemas differ. */
  problem?: string;
  /** After down vs before up: must be empty. */
  downDifferences: SchemaDifference[];
  /** Second up vs first up: must be empty. */
  reapplyDifferences: SchemaDifference[];
}

export interface VerifyRollbackResult {
  environment: string;
  replayed: number;
  checks: RollbackCheck[];
  ok: boolean;
}

/**
 * On a scratch database built from the environment's applied history, runs each pending migration up, its
 * down.sql, and up again, comparing schema snapshots; records each verdict for the production deploy gate.
 */
export async function runVerifyRollback(
  options: {
    environment: string;
    url: string;
    history: MigrationHistory;
    lockTimeoutMs: number;
    statementTimeoutMs: number;
    /** Only these migrations (default: every pending one). */
    only?: readonly string[];
  },
  deps: { clock: Clock; store: StateStore; audit: AuditLog; actor: string; scratch: ScratchServer },
): Promise<VerifyRollbackResult> {
  const db = await openPgSession(options.url, 'prodguard migrate verify-rollback');
  let status: ReturnType<typeof planMigrationStatus>;
  try {
    status = planMigrationStatus(options.history.migrations, await readMigrationRows(db));
  } finally {
    await db.close();
  }
  const appliedNames = new Set(
    status.entries.filter((e) => e.state === 'applied' || e.state === 'edited').map((e) => e.name),
  );
  const applied = options.history.migrations.filter((m) => appliedNames.has(m.name));
  const pending = options.history.migrations.filter(
    (m) => status.pending.includes(m.name) && (!options.only || options.only.includes(m.name)),
  );
  const checks: RollbackCheck[] = [];
  const scratch = await deps.scratch.createDatabase('prodguard_rollback');
  try {
    const sdb = await openPgSession(scratch.url, 'prodguard verify-rollback (scratch)');
    try {
      await replayMigrations(sdb, applied, options);
      for (const m of pending) {
        const check: RollbackCheck = {
          migration: m.name,
          ok: false,
          downDifferences: [],
          reapplyDifferences: [],
        };
        checks.push(check);
        const before = await readSchemaSnapshot(sdb);
        const step = async (label: string, sql: string) => {
          try {
            await applyMigrationScript(sdb, sql, options);
            return true;
          } catch (error) {
            check.problem = `${label} failed: ${describePgError(error, sql)}`;
            return false;
          }
        };
        if (!(await step('migration.sql', m.sql))) break;
        const afterUp = await readSchemaSnapshot(sdb);
        if (!m.downSql) {
          check.problem = 'no down.sql';
          continue;
        }
        if (!(await step('down.sql', m.downSql))) {
          // keep the history consistent for the next migration: it is applied
          continue;
        }
        check.downDifferences = diffSchema(before, await readSchemaSnapshot(sdb));
        if (check.downDifferences.length > 0) {
          // The scratch schema is now neither before nor after: later migrations cannot be judged on it.
          check.problem = `down.sql does not restore the schema: ${check.downDifferences.length} difference(s)`;
          break;
        }
        if (!(await step('migration.sql (again)', m.sql))) break;
        check.reapplyDifferences = diffSchema(afterUp, await readSchemaSnapshot(sdb));
        check.ok = check.downDifferences.length === 0 && check.reapplyDifferences.length === 0;
        if (!check.ok)
          check.problem =
            check.downDifferences.length > 0
              ? `down.sql does not restore the schema: ${check.downDifferences.length} difference(s)`
              : `applying again after down.sql gives a different schema: ${check.reapplyDifferences.length} difference(s)`;
      }
    } finally {
      await sdb.close();
    }
  } finally {
    await scratch.drop();
  }
  const at = deps.clock.now().toISOString();
  for (const check of checks) {
    const m = pending.find((p) => p.name === check.migration)!;
    writeRollbackVerification(deps.store, {
      environment: options.environment,
      migration: m.name,
      checksum: m.checksum,
      downChecksum: m.downSql ? prismaChecksum(m.downSql) : '',
      ok: check.ok,
      at,
      details: {
        ...(check.problem ? { problem: check.problem } : {}),
        downDifferences: check.downDifferences,
        reapplyDifferences: check.reapplyDifferences,
      },
    });
  }
  const ok = checks.every((c) => c.ok);
  deps.audit.append({
    actor: deps.actor,
    environment: options.environment,
    action: 'migrate.verify-rollback',
    target: checks.map((c) => c.migration).join(', ') || undefined,
    outcome: ok ? 'success' : 'failed',
    details: { checks: checks.map((c) => ({ migration: c.migration, ok: c.ok, problem: c.problem })) },
  });
  return { environment: options.environment, replayed: applied.length, checks, ok };
}
