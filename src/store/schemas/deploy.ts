import type { StoreMigrationSet } from '../store-migration.js';

/** Tables owned by src/deploy. Append new scripts; never edit one that has shipped. */
export const deployStoreMigrations: StoreMigrationSet = {
  domain: 'deploy',
  migrations: [],
};
