import type { Config } from '../config/index.js';
import type { BackupRecord } from './database-records.js';
import { readBackupRecords } from './database-records.js';
import { backupsDirOf } from './database-target.js';
import { type BackupDeps, runBackup } from './run-backup.js';

/**
 * The backup the migration-backup rule wants before an environment's migrations: the newest one when it is
 * younger than `database.backupMaxAge`, else a new one, read back in full. Every migration path uses this.
 */
export async function freshOrNewBackup(
  input: { environment: string; url: string; reason: string },
  deps: BackupDeps & { config: Pick<Config, 'root' | 'database' | 'stateDirPath'> },
): Promise<{ backup: BackupRecord; message: string }> {
  const maxAge = deps.config.database.backupMaxAge;
  const recent = readBackupRecords(deps.store, input.environment).at(-1);
  if (recent && maxAge > 0 && deps.clock.nowMs() - new Date(recent.finishedAt).getTime() <= maxAge) {
    return { backup: recent, message: `backup #${recent.id} from ${recent.finishedAt} is fresh enough` };
  }
  const backup = await runBackup(
    { environment: input.environment, url: input.url, dir: backupsDirOf(deps.config), reason: input.reason },
    deps,
  );
  return {
    backup,
    message: `backup #${backup.id} taken and read back (${backup.entries} entries, ${backup.sizeBytes} bytes)`,
  };
}
