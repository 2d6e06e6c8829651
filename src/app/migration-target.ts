import {
  backupsDirOf,
  migrationsDirOf,
  readMigrationHistory,
  resolveDatabaseTarget,
} from '../database/index.js';
import type { Workspace } from '../workspace/index.js';

/** An environment's database URL, its migration history and timeouts, as every migration command needs them. */
export function migrationTarget(ws: Workspace, environment: string) {
  const target = resolveDatabaseTarget(ws.config, environment, ws.env);
  return {
    environment,
    url: target.url,
    final: target.final,
    history: readMigrationHistory(migrationsDirOf(ws.config)),
    lockTimeoutMs: ws.config.database.lockTimeout,
    statementTimeoutMs: ws.config.database.statementTimeout,
    backupsDir: backupsDirOf(ws.config),
  };
}
