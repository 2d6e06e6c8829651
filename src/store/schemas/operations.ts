import type { StoreMigrationSet } from '../store-migration.js';

/**
 * The operation kernel's journal, shared by every kind (deploy, rollback, maintenance, rotation, migrate,
 * restore). Applied before the domains whose older journals it replaces, so their next migration can
 * carry their rows over. Append new scripts; never edit one that has shipped.
 */
export const operationsStoreMigrations: StoreMigrationSet = {
  domain: 'operations',
  migrations: [
    `CREATE TABLE operations (
       id TEXT PRIMARY KEY,
       kind TEXT NOT NULL,
       environment TEXT NOT NULL,
       status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'rolled-back', 'aborted')),
       actor TEXT NOT NULL,
       parent_id TEXT REFERENCES operations(id),
       subject TEXT,
       -- the audit action of the intent event; the outcome event repeats it
       audit_action TEXT NOT NULL,
       params TEXT NOT NULL,
       state TEXT NOT NULL,
       started_at TEXT NOT NULL,
       updated_at TEXT NOT NULL,
       finished_at TEXT,
       error TEXT
     );
     CREATE INDEX operations_env ON operations(environment, status, started_at);
     CREATE INDEX operations_parent ON operations(parent_id);
     CREATE TABLE operation_steps (
       id INTEGER PRIMARY KEY,
       operation_id TEXT NOT NULL REFERENCES operations(id),
       step TEXT NOT NULL,
       phase TEXT NOT NULL CHECK (phase IN ('started', 'succeeded', 'failed')),
       at TEXT NOT NULL,
       data TEXT NOT NULL
     );
     CREATE INDEX operation_steps_op ON operation_steps(operation_id, id);`,
  ],
};
