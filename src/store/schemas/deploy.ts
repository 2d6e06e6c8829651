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
    // v2: operations move to the kernel's journal; traffic_before joins the params, phases get the kernel's names.
    `INSERT INTO operations(id, kind, environment, status, actor, parent_id, subject, audit_action, params, state, started_at, updated_at, finished_at, error)
       SELECT id, kind, environment, status, actor, NULL, json_extract(params, '$.commit'), kind,
              json_set(params, '$.trafficBefore', json(traffic_before)), state, started_at, updated_at, finished_at, error
       FROM deploy_operations;
     INSERT INTO operation_steps(operation_id, step, phase, at, data)
       SELECT operation_id, step, CASE phase WHEN 'before' THEN 'started' WHEN 'after' THEN 'succeeded' ELSE 'failed' END, at, data
       FROM deploy_journal ORDER BY id;
     DROP TABLE deploy_journal;
     DROP TABLE deploy_operations;`,
  ],
};
