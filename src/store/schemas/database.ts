import type { StoreMigrationSet } from '../store-migration.js';

/** Tables owned by src/database. Append new scripts; never edit one that has shipped. */
export const databaseStoreMigrations: StoreMigrationSet = {
  domain: 'database',
  migrations: [],
};
