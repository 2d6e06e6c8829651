import type { StoreMigrationSet } from '../store-migration.js';
import { auditStoreMigrations } from './audit.js';
import { coreStoreMigrations } from './core.js';
import { databaseStoreMigrations } from './database.js';
import { deployStoreMigrations } from './deploy.js';
import { secretsStoreMigrations } from './secrets.js';

/** Every domain's tables. Order matters only within a domain. */
export const allStoreMigrations: readonly StoreMigrationSet[] = [
  coreStoreMigrations,
  deployStoreMigrations,
  databaseStoreMigrations,
  secretsStoreMigrations,
  auditStoreMigrations,
];
