import { type AuditLog, runAudited } from '../audit/index.js';
import type { BackupRecord } from './database-records.js';
import { type BackupDeps, type RunBackupOptions, runBackup } from './run-backup.js';

export interface TakeBackupDeps extends BackupDeps {
  audit: Pick<AuditLog, 'append'>;
  actor: string;
}

/**
 * `prodguard db backup`: a backup on record. The intent is audited before pg_dump starts (no audit, no
 * backup), the outcome after it was read back, with its path, size and checksum.
 */
export async function takeBackup(options: RunBackupOptions, deps: TakeBackupDeps): Promise<BackupRecord> {
  const { value } = await runAudited(
    deps.audit,
    { actor: deps.actor, environment: options.environment, action: 'db.backup', reason: options.reason },
    () => runBackup(options, deps),
    (backup) => ({
      target: backup.path,
      details: {
        id: backup.id,
        sizeBytes: backup.sizeBytes,
        sha256: backup.sha256,
        durationMs: backup.durationMs,
      },
    }),
  );
  return value;
}
