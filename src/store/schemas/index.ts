import type { StoreMigrationSet } from '../store-migration.js';
import { coreStoreMigrations } from './core.js';
import { databaseStoreMigrations } from './database.js';
import { deployStoreMigrations } from './deploy.js';
import { incidentStoreMigrations } from './incident.js';
import { monitorStoreMigrations } from './monitor.js';
import { secretsStoreMigrations } from './secrets.js';

/** Every domain's tables. Order matters only within a domain. */
export const allStoreMigrations: readonly StoreMigrationSet[] = [
  coreStoreMigrations,
  deployStoreMigrations,
  databaseStoreMigrations,
  secretsStoreMigrations,
  monitorStoreMigrations,
  incidentStoreMigrations,
];
