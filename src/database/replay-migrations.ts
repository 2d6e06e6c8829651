import { ProdguardError } from '../kernel/errors.js';
import { applyMigrationScript } from './apply-migration-script.js';
import type { MigrationFile } from './migration-files.js';
import { describePgError, type PgSession } from './pg-session.js';

export interface ReplayOptions {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/** Applies migration scripts to a scratch database, in order, without bookkeeping rows. */
export async function replayMigrations(
  db: PgSession,
  migrations: readonly MigrationFile[],
  options: ReplayOptions,
): Promise<void> {
  for (const m of migrations) {
    try {
      await applyMigrationScript(db, m.sql, options);
    } catch (cause) {
      throw new ProdguardError(
        'PRODGUARD_DB_REPLAY_FAILED',
        `Replaying ${m.name} on a scratch database failed: ${describePgError(cause, m.sql)}`,
        { cause, hint: 'The migration history does not apply to an empty database; fix or squash it.' },
      );
    }
  }
}
