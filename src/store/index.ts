export * from './environment-lock.js';
export * from './state-store.js';
export type { StoreMigrationSet } from './store-migration.js';
