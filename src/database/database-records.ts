import type { StateStore } from '../store/index.js';

/** A verified pg_dump, as recorded in the state store. */
export interface BackupRecord {
  id: number;
  environment: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  durationMs: number;
  startedAt: string;
  finishedAt: string;
  /** Entries pg_restore --list read back from the archive. */
  entries: number;
  reason: string | null;
}

export interface RollbackVerificationRecord {
  environment: string;
  migration: string;
  checksum: string;
  downChecksum: string;
  ok: boolean;
  at: string;
  details: Record<string, unknown>;
}

interface BackupRow {
  id: number;
  environment: string;
  path: string;
  size_bytes: number;
  sha256: string;
  duration_ms: number;
  started_at: string;
  finished_at: string;
  entries: number;
  reason: string | null;
}

function toBackup(row: BackupRow): BackupRecord {
  return {
    id: row.id,
    environment: row.environment,
    path: row.path,
    sizeBytes: row.size_bytes,
    sha256: row.sha256,
    durationMs: row.duration_ms,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    entries: row.entries,
    reason: row.reason,
  };
}

export function writeBackupRecord(store: StateStore, record: Omit<BackupRecord, 'id'>): BackupRecord {
  const result = store.db
    .prepare(
      'INSERT INTO db_backups(environment, path, size_bytes, sha256, duration_ms, started_at, finished_at, entries, reason) VALUES (?,?,?,?,?,?,?,?,?)',
    )
    .run(
      record.environment,
      record.path,
      record.sizeBytes,
      record.sha256,
      record.durationMs,
      record.startedAt,
      record.finishedAt,
      record.entries,
      record.reason,
    );
  return { ...record, id: Number(result.lastInsertRowid) };
}

export function readBackupRecords(store: StateStore, environment?: string): BackupRecord[] {
  const rows = environment
    ? store.db
        .prepare<[string], BackupRow>('SELECT * FROM db_backups WHERE environment = ? ORDER BY id')
        .all(environment)
    : store.db.prepare<[], BackupRow>('SELECT * FROM db_backups ORDER BY id').all();
  return rows.map(toBackup);
}

export function writeRollbackVerification(store: StateStore, record: RollbackVerificationRecord): void {
  store.db
    .prepare(
      'INSERT INTO db_rollback_verifications(environment, migration, checksum, down_checksum, ok, at, details) VALUES (?,?,?,?,?,?,?)',
    )
    .run(
      record.environment,
      record.migration,
      record.checksum,
      record.downChecksum,
      record.ok ? 1 : 0,
      record.at,
      JSON.stringify(record.details),
    );
}

/** The latest verification of exactly this migration.sql and down.sql on this environment's history. */
export function readRollbackVerification(
  store: StateStore,
  key: { environment: string; migration: string; checksum: string; downChecksum: string },
): RollbackVerificationRecord | undefined {
  const row = store.db
    .prepare<
      [string, string, string, string],
      {
        environment: string;
        migration: string;
        checksum: string;
        down_checksum: string;
        ok: number;
        at: string;
        details: string;
      }
    >(
      'SELECT * FROM db_rollback_verifications WHERE environment = ? AND migration = ? AND checksum = ? AND down_checksum = ? ORDER BY id DESC LIMIT 1',
    )
    .get(key.environment, key.migration, key.checksum, key.downChecksum);
  if (!row) return undefined;
  return {
    environment: row.environment,
    migration: row.migration,
    checksum: row.checksum,
    downChecksum: row.down_checksum,
    ok: row.ok === 1,
    at: row.at,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}
