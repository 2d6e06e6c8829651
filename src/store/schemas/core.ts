import type { StoreMigrationSet } from '../store-migration.js';

/** Tables owned by the foundation: audit chain, locks, freezes, caches, release marks. */
export const coreStoreMigrations: StoreMigrationSet = {
  domain: 'core',
  migrations: [
    `CREATE TABLE audit_events (
       seq INTEGER PRIMARY KEY,
       at TEXT NOT NULL,
       actor TEXT NOT NULL,
       environment TEXT,
       action TEXT NOT NULL,
       target TEXT,
       reason TEXT,
       outcome TEXT NOT NULL,
       details TEXT NOT NULL,
       prev_hash TEXT NOT NULL,
       hash TEXT NOT NULL
     );
     CREATE INDEX audit_events_env ON audit_events(environment, seq);
     CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
     CREATE TABLE locks (
       environment TEXT PRIMARY KEY,
       token TEXT NOT NULL,
       operation TEXT NOT NULL,
       owner TEXT NOT NULL,
       pid INTEGER NOT NULL,
       host TEXT NOT NULL,
       acquired_at TEXT NOT NULL,
       heartbeat_at TEXT NOT NULL,
       expires_at TEXT NOT NULL
     );
     CREATE TABLE freezes (
       id INTEGER PRIMARY KEY,
       environment TEXT,
       reason TEXT NOT NULL,
       actor TEXT NOT NULL,
       created_at TEXT NOT NULL,
       until TEXT,
       lifted_at TEXT,
       lifted_by TEXT
     );
     CREATE TABLE test_runs (
       tree_hash TEXT NOT NULL,
       command TEXT NOT NULL,
       passed INTEGER NOT NULL,
       at TEXT NOT NULL,
       duration_ms INTEGER NOT NULL,
       log_path TEXT NOT NULL,
       PRIMARY KEY (tree_hash, command)
     );
     CREATE TABLE secret_scan_cache (blob TEXT PRIMARY KEY, findings TEXT NOT NULL);
     CREATE TABLE release_marks (
       id INTEGER PRIMARY KEY,
       environment TEXT NOT NULL,
       commit_sha TEXT NOT NULL,
       tag TEXT,
       at TEXT NOT NULL
     );
     CREATE INDEX release_marks_env ON release_marks(environment, id);`,
    // coverage-minimums verdicts per tree and coverage settings: a deploy of another commit than the
    // checkout (deploy --commit X) is judged on X's tree, as tests-pass does with test_runs.
    `CREATE TABLE coverage_runs (
       tree_hash TEXT NOT NULL,
       settings TEXT NOT NULL,
       at TEXT NOT NULL,
       message TEXT NOT NULL,
       PRIMARY KEY (tree_hash, settings)
     );`,
  ],
};
