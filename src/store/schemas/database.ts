import type { StoreMigrationSet } from '../store-migration.js';

/** Tables owned by src/database. Append new scripts; never edit one that has shipped. */
export const databaseStoreMigrations: StoreMigrationSet = {
  domain: 'database',
  migrations: [
    `CREATE TABLE db_backups (
       id INTEGER PRIMARY KEY,
       environment TEXT NOT NULL,
       path TEXT NOT NULL,
       size_bytes INTEGER NOT NULL,
       sha256 TEXT NOT NULL,
       duration_ms INTEGER NOT NULL,
       started_at TEXT NOT NULL,
       finished_at TEXT NOT NULL,
       entries INTEGER NOT NULL,
       reason TEXT
     );
     CREATE INDEX db_backups_env ON db_backups(environment, id);
     CREATE TABLE db_rollback_verifications (
       id INTEGER PRIMARY KEY,
       environment TEXT NOT NULL,
       migration TEXT NOT NULL,
       checksum TEXT NOT NULL,
       down_checksum TEXT NOT NULL,
       ok INTEGER NOT NULL,
       at TEXT NOT NULL,
       details TEXT NOT NULL
     );
     CREATE INDEX db_rollback_verifications_key ON db_rollback_verifications(environment, migration, checksum, down_checksum);`,
  ],
};
