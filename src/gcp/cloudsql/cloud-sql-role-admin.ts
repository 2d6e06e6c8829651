import type { Clock } from '../../kernel/clock.js';
import type { LoginAttempt, PostgresRoleAdmin } from '../../secrets/postgres-role-admin.js';
import { type GcpTransport, type SqlOperation, waitSqlOperation } from '../transport/index.js';

/** A Cloud SQL instance: `project:region:instance` is its connection name. */
export interface CloudSqlInstanceRef {
  project: string;
  instance: string;
}

export interface CloudSqlRoleAdminOptions {
  transport: GcpTransport;
  clock: Clock;
  instance: CloudSqlInstanceRef;
  /** A real login through the Auth Proxy or a direct URL (pgRoleAdmin.tryLogin in production). */
  login: (url: string) => Promise<LoginAttempt>;
  /** Roles are still created with SQL through the admin URL (cloudsqlsuperuser can CREATEROLE). */
  sqlAdmin: Pick<PostgresRoleAdmin, 'setupRoles' | 'setupReadonlyRole'>;
  operationTimeoutMs?: number;
  pollIntervalMs?: number;
}

/**
 * Rotation's `set` step on Cloud SQL: `PUT /v1/projects/P/instances/I/users?name=ROLE` with the new
 * password (the Admin API hashes it; prodguard never needs the superuser password for this), then waits
 * for the SQL operation to be DONE. DONE is not "works": Cloud SQL takes minutes (the seed measured
 * 5–15) before new logins accept the password, which is why rotation's `test` step keeps trying to log
 * in for up to secrets.propagationTimeout (15 m by default) before it moves any traffic.
 */
export function cloudSqlRoleAdmin(options: CloudSqlRoleAdminOptions): PostgresRoleAdmin {
  const { project, instance } = options.instance;
  return {
    async setPassword(_adminUrl: string, role: string, password: string): Promise<void> {
      const op = await options.transport.request<SqlOperation>({
        api: 'sqladmin',
        method: 'PUT',
        path: `/v1/projects/${project}/instances/${instance}/users`,
        query: { name: role },
        body: { name: role, password },
        secrets: [password],
      });
      await waitSqlOperation(options.transport, project, op, {
        clock: options.clock,
        timeoutMs: options.operationTimeoutMs ?? 10 * 60_000,
        intervalMs: options.pollIntervalMs ?? 2_000,
      });
    },
    tryLogin: (url) => options.login(url),
    setupRoles: (adminUrl, group, members) => options.sqlAdmin.setupRoles(adminUrl, group, members),
    // Grants and role settings are SQL over the admin connection (the Auth Proxy or a direct URL).
    setupReadonlyRole: (adminUrl, spec) => options.sqlAdmin.setupReadonlyRole(adminUrl, spec),
  };
}
