import { compareMigrationNames, type MigrationFile } from './migration-files.js';
import { checksumMatches } from './prisma-checksum.js';
import type { MigrationRow } from './prisma-migrations-table.js';

/**
 * A migration's state on one database.
 * - applied: finished and not rolled back (Prisma will skip it)
 * - pending: never applied, or every attempt was rolled back (Prisma will apply it)
 * - failed: the latest attempt did not finish and was not resolved (Prisma refuses to go on: P3009)
 * - edited: applied, but migration.sql changed since (checksum differs even ignoring CRLF/LF)
 * - missing: applied on the database, but its folder is gone from the history
 * - out-of-order: pending although a later migration is already applied (it will run after newer ones)
 */
export type MigrationState = 'applied' | 'pending' | 'failed' | 'edited' | 'missing' | 'out-of-order';

export interface MigrationStatusEntry {
  name: string;
  state: MigrationState;
  appliedAt?: string;
  /** Error text Prisma or prodguard stored for a failed attempt. */
  logs?: string;
}

export interface EnvironmentMigrationStatus {
  entries: MigrationStatusEntry[];
  pending: string[];
  failed: string[];
  edited: string[];
  missing: string[];
  outOfOrder: string[];
}

/** Pure: folder history + `_prisma_migrations` rows → the state of every migration. */
export function planMigrationStatus(
  files: readonly MigrationFile[],
  rows: readonly MigrationRow[],
): EnvironmentMigrationStatus {
  const live = rows.filter((r) => r.rolledBackAt === null);
  const byName = new Map<string, MigrationRow[]>();
  for (const row of live) byName.set(row.migrationName, [...(byName.get(row.migrationName) ?? []), row]);
  const fileNames = new Set(files.map((f) => f.name));
  const appliedNames = files
    .filter((f) => byName.get(f.name)?.some((r) => r.finishedAt !== null))
    .map((f) => f.name);
  const lastApplied = appliedNames[appliedNames.length - 1];
  const entries: MigrationStatusEntry[] = [];
  for (const file of files) {
    const attempts = byName.get(file.name) ?? [];
    const finished = attempts.filter((r) => r.finishedAt !== null);
    const unfinished = attempts.filter((r) => r.finishedAt === null);
    if (finished.length > 0) {
      const row = finished[finished.length - 1]!;
      const edited = !finished.some((r) => checksumMatches(file.sql, r.checksum));
      entries.push({
        name: file.name,
        state: edited ? 'edited' : 'applied',
        appliedAt: row.finishedAt!.toISOString(),
      });
    } else if (unfinished.length > 0) {
      const row = unfinished[unfinished.length - 1]!;
      entries.push({ name: file.name, state: 'failed', ...(row.logs ? { logs: row.logs } : {}) });
    } else if (lastApplied !== undefined && compareMigrationNames(file.name, lastApplied) < 0) {
      entries.push({ name: file.name, state: 'out-of-order' });
    } else {
      entries.push({ name: file.name, state: 'pending' });
    }
  }
  const seenMissing = new Set<string>();
  for (const row of live) {
    if (fileNames.has(row.migrationName) || seenMissing.has(row.migrationName)) continue;
    seenMissing.add(row.migrationName);
    entries.push({
      name: row.migrationName,
      state: row.finishedAt === null ? 'failed' : 'missing',
      ...(row.finishedAt ? { appliedAt: row.finishedAt.toISOString() } : {}),
      ...(row.logs ? { logs: row.logs } : {}),
    });
  }
  const named = (state: MigrationState) => entries.filter((e) => e.state === state).map((e) => e.name);
  return {
    entries,
    pending: entries.filter((e) => e.state === 'pending' || e.state === 'out-of-order').map((e) => e.name),
    failed: named('failed'),
    edited: named('edited'),
    missing: named('missing'),
    outOfOrder: named('out-of-order'),
  };
}
