import type { StoreMigrationSet } from '../store-migration.js';
import { auditStoreMigrations } from './audit.js';
import { coreStoreMigrations } from './core.js';
import { databaseStoreMigrations } from './database.js';
import { deployStoreMigrations } from './deploy.js';
import { incidentStoreMigrations } from './incident.js';
import { monitorStoreMigrations } from './monitor.js';
import { operationsStoreMigrations } from './operations.js';
import { secretsStoreMigrations } from './secrets.js';

/**
 * Every domain's tables. Order matters within a domain, and the operation kernel comes before the
 * domains whose older journals its tables replace.
 */
export const allStoreMigrations: readonly StoreMigrationSet[] = [
  coreStoreMigrations,
  operationsStoreMigrations,
  deployStoreMigrations,
  databaseStoreMigrations,
  secretsStoreMigrations,
  auditStoreMigrations,
  monitorStoreMigrations,
  incidentStoreMigrations,
];
