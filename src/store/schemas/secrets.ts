import type { StoreMigrationSet } from '../store-migration.js';

/** Tables owned by src/secrets. Append new scripts; never edit one that has shipped. */
export const secretsStoreMigrations: StoreMigrationSet = {
  domain: 'secrets',
  migrations: [
    `CREATE TABLE secrets (
       name TEXT NOT NULL,
       environment TEXT NOT NULL,
       kind TEXT NOT NULL CHECK (kind IN ('postgres', 'random', 'external')),
       created_at TEXT NOT NULL,
       PRIMARY KEY (name, environment)
     );
     -- One row per immutable version. The value exists only as AES-256-GCM ciphertext; destroyed
     -- versions keep their row (numbers are never reused) but lose nonce, ciphertext and tag.
     CREATE TABLE secret_versions (
       name TEXT NOT NULL,
       environment TEXT NOT NULL,
       version INTEGER NOT NULL CHECK (version >= 1),
       state TEXT NOT NULL CHECK (state IN ('enabled', 'disabled', 'destroyed')),
       created_at TEXT NOT NULL,
       created_by TEXT NOT NULL,
       metadata TEXT NOT NULL DEFAULT '{}',
       key_id TEXT,
       nonce BLOB,
       ciphertext BLOB,
       tag BLOB,
       state_changed_at TEXT NOT NULL,
       destroy_after TEXT,
       PRIMARY KEY (name, environment, version),
       FOREIGN KEY (name, environment) REFERENCES secrets(name, environment)
     );
     CREATE TABLE secret_pins (
       name TEXT NOT NULL,
       environment TEXT NOT NULL,
       version INTEGER NOT NULL,
       previous_version INTEGER,
       pinned_at TEXT NOT NULL,
       pinned_by TEXT NOT NULL,
       PRIMARY KEY (name, environment)
     );
     -- Proof that the master key in use is the one the data was encrypted with.
     CREATE TABLE secret_master_key (
       id INTEGER PRIMARY KEY CHECK (id = 1),
       key_id TEXT NOT NULL,
       nonce BLOB NOT NULL,
       ciphertext BLOB NOT NULL,
       tag BLOB NOT NULL,
       created_at TEXT NOT NULL,
       rotated_at TEXT
     );
     -- Rotation journal: one row per rotation, one row per step transition.
     CREATE TABLE secret_rotations (
       id TEXT PRIMARY KEY,
       name TEXT NOT NULL,
       environment TEXT NOT NULL,
       kind TEXT NOT NULL,
       strategy TEXT NOT NULL,
       status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'rolled-back', 'aborted')),
       step TEXT NOT NULL,
       from_version INTEGER,
       to_version INTEGER,
       role TEXT,
       actor TEXT NOT NULL,
       started_at TEXT NOT NULL,
       updated_at TEXT NOT NULL,
       finished_at TEXT,
       error TEXT,
       revision TEXT,
       -- the generated value while the rotation runs, encrypted like a version (AAD names the rotation)
       pending_nonce BLOB,
       pending_ciphertext BLOB,
       pending_tag BLOB,
       pending_key_id TEXT
     );
     CREATE INDEX secret_rotations_by_secret ON secret_rotations(name, environment, started_at);
     CREATE TABLE secret_rotation_steps (
       rotation_id TEXT NOT NULL REFERENCES secret_rotations(id),
       seq INTEGER NOT NULL,
       step TEXT NOT NULL,
       phase TEXT NOT NULL CHECK (phase IN ('started', 'succeeded', 'failed')),
       at TEXT NOT NULL,
       detail TEXT,
       PRIMARY KEY (rotation_id, seq)
     );`,
    // v2: rotations move to the kernel's journal (kind secrets-rotation); the value waiting to become a
    // version keeps its own table, sealed as before.
    `CREATE TABLE secret_rotation_pending (
       operation_id TEXT PRIMARY KEY REFERENCES operations(id),
       key_id TEXT NOT NULL,
       nonce BLOB NOT NULL,
       ciphertext BLOB NOT NULL,
       tag BLOB NOT NULL
     );
     INSERT INTO operations(id, kind, environment, status, actor, parent_id, subject, audit_action, params, state, started_at, updated_at, finished_at, error)
       SELECT id, 'secrets-rotation', environment, status, actor, NULL, name, 'secrets.rotate',
              json_object('name', name, 'kind', kind, 'strategy', strategy, 'fromVersion', from_version, 'role', role),
              json_object('toVersion', to_version, 'revision', revision),
              started_at, updated_at, finished_at, error
       FROM secret_rotations;
     INSERT INTO operation_steps(operation_id, step, phase, at, data)
       SELECT rotation_id, step, phase, at, CASE WHEN detail IS NULL THEN '{}'
              WHEN phase = 'failed' THEN json_object('message', detail) ELSE json_object('detail', detail) END
       FROM secret_rotation_steps ORDER BY rotation_id, seq;
     INSERT INTO secret_rotation_pending(operation_id, key_id, nonce, ciphertext, tag)
       SELECT id, pending_key_id, pending_nonce, pending_ciphertext, pending_tag FROM secret_rotations
       WHERE pending_ciphertext IS NOT NULL;
     DROP TABLE secret_rotation_steps;
     DROP TABLE secret_rotations;`,
  ],
};
