import type { StoreMigrationSet } from '../store-migration.js';

/** Tables owned by src/deploy. Append new scripts; never edit one that has shipped. */
export const deployStoreMigrations: StoreMigrationSet = {
  domain: 'deploy',
  migrations: [
    `CREATE TABLE deploy_operations (
       id TEXT PRIMARY KEY,
       environment TEXT NOT NULL,
       kind TEXT NOT NULL,
       status TEXT NOT NULL,
       actor TEXT NOT NULL,
       params TEXT NOT NULL,
       state TEXT NOT NULL,
       traffic_before TEXT NOT NULL,
       started_at TEXT NOT NULL,
       updated_at TEXT NOT NULL,
       finished_at TEXT,
       error TEXT
     );
     CREATE INDEX deploy_operations_env ON deploy_operations(environment, status);
     CREATE TABLE deploy_journal (
       id INTEGER PRIMARY KEY,
       operation_id TEXT NOT NULL REFERENCES deploy_operations(id),
       step TEXT NOT NULL,
       phase TEXT NOT NULL,
       at TEXT NOT NULL,
       data TEXT NOT NULL
     );
     CREATE INDEX deploy_journal_op ON deploy_journal(operation_id, id);
     CREATE TABLE revision_verdicts (
       id INTEGER PRIMARY KEY,
       environment TEXT NOT NULL,
       revision TEXT NOT NULL,
       verdict TEXT NOT NULL,
       digest TEXT NOT NULL,
       commit_sha TEXT NOT NULL,
       operation_id TEXT,
       at TEXT NOT NULL,
       details TEXT NOT NULL
     );
     CREATE INDEX revision_verdicts_env ON revision_verdicts(environment, revision, id);
     CREATE TABLE verifications (
       id INTEGER PRIMARY KEY,
       environment TEXT NOT NULL,
       digest TEXT NOT NULL,
       commit_sha TEXT NOT NULL,
       revision TEXT NOT NULL,
       checks TEXT NOT NULL,
       window_ms INTEGER NOT NULL,
       at TEXT NOT NULL,
       actor TEXT NOT NULL,
       operation_id TEXT
     );
     CREATE INDEX verifications_digest ON verifications(digest, environment, at);
     CREATE TABLE breaches (
       id INTEGER PRIMARY KEY,
       operation_id TEXT NOT NULL,
       environment TEXT NOT NULL,
       revision TEXT NOT NULL,
       metric TEXT NOT NULL,
       value REAL NOT NULL,
       threshold REAL NOT NULL,
       window_ms INTEGER NOT NULL,
       at TEXT NOT NULL
     );`,
  ],
};
