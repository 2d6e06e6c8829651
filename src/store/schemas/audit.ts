import type { StoreMigrationSet } from '../store-migration.js';

/**
 * Where the audit head was anchored outside the chain (files, URLs, rollback tags, release marks). The
 * rows tell `audit verify` where to look; being in the same database, they are never trusted alone.
 */
export const auditStoreMigrations: StoreMigrationSet = {
  domain: 'audit',
  migrations: [
    `CREATE TABLE audit_anchors (
       id INTEGER PRIMARY KEY,
       seq INTEGER NOT NULL,
       hash TEXT NOT NULL,
       at TEXT NOT NULL,
       kind TEXT NOT NULL CHECK (kind IN ('file', 'url', 'git-tag', 'release-mark')),
       destination TEXT NOT NULL
     );
     CREATE INDEX audit_anchors_destination ON audit_anchors(kind, destination);`,
  ],
};
