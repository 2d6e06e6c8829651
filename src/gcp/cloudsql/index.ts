export * from './cloud-sql-proxy.js';
export * from './cloud-sql-role-admin.js';
export * from './decide-sql-proxy.js';
export * from './run-cloud-sql-backup.js';
export * from './start-database-proxies.js';
