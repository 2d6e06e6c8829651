export * from './database-target.js';
export * from './lint/lint-migration.js';
export * from './lint/lint-rules.js';
export * from './migration-files.js';
export * from './pg-session.js';
export * from './plan-migration-status.js';
export * from './prisma-checksum.js';
export * from './prisma-migrations-table.js';
