import type { Config } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import { type CloudSqlBackupRecord, runCloudSqlBackup } from './cloudsql/run-cloud-sql-backup.js';
import { cloudRunBindings, openGcpTransport } from './open-gcp.js';

/**
 * The migration-backup rule's backup for Cloud SQL environments (`kind: cloudrun` with
 * `platform.sqlInstance`): an on-demand backupRuns.insert waited to SUCCESSFUL. Undefined for any other
 * environment, which keeps the pg_dump backup.
 */
export function cloudSqlBackupFor(
  config: Config,
  options: { env: NodeJS.ProcessEnv; clock: Clock },
): (environment: string) => ((reason: string) => Promise<CloudSqlBackupRecord>) | undefined {
  const bindings = cloudRunBindings(config);
  return (environment) => {
    const b = bindings.get(environment);
    if (!b?.sqlInstance) return undefined;
    const instance = { project: b.project, instance: b.sqlInstance };
    return (reason) =>
      runCloudSqlBackup(
        { environment, instance, reason },
        { transport: openGcpTransport({ env: options.env, clock: options.clock }), clock: options.clock },
      );
  };
}
