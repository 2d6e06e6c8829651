import type { StoreMigrationSet } from '../store-migration.js';

/** Tables owned by src/secrets. Append new scripts; never edit one that has shipped. */
export const secretsStoreMigrations: StoreMigrationSet = {
  domain: 'secrets',
  migrations: [],
};
