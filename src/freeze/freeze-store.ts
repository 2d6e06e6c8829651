import type { StateStore } from '../store/index.js';
import type { ManualFreeze } from './freeze-calendar.js';

interface FreezeRow {
  id: number;
  environment: string | null;
  reason: string;
  actor: string;
  created_at: string;
  until: string | null;
}

const toFreeze = (row: FreezeRow): ManualFreeze => ({
  id: row.id,
  environment: row.environment,
  reason: row.reason,
  actor: row.actor,
  createdAt: row.created_at,
  until: row.until,
});

/** Freezes that have not been lifted (expired ones included: the calendar decides what is in effect). */
export function readManualFreezes(store: StateStore): ManualFreeze[] {
  return store.db
    .prepare<[], FreezeRow>('SELECT * FROM freezes WHERE lifted_at IS NULL ORDER BY id')
    .all()
    .map(toFreeze);
}

export function insertFreeze(
  store: StateStore,
  freeze: { environment: string | null; reason: string; actor: string; at: Date; until: Date | null },
): ManualFreeze {
  const info = store.db
    .prepare('INSERT INTO freezes(environment, reason, actor, created_at, until) VALUES (?,?,?,?,?)')
    .run(
      freeze.environment,
      freeze.reason,
      freeze.actor,
      freeze.at.toISOString(),
      freeze.until?.toISOString() ?? null,
    );
  return toFreeze(
    store.db
      .prepare<[number], FreezeRow>('SELECT * FROM freezes WHERE id = ?')
      .get(Number(info.lastInsertRowid))!,
  );
}

/** Lifts the freezes on one environment (or the all-environment ones when environment is null). */
export function liftFreezes(
  store: StateStore,
  environment: string | null,
  actor: string,
  at: Date,
): ManualFreeze[] {
  return store.transaction(() => {
    const rows = store.db
      .prepare<[string | null], FreezeRow>(
        'SELECT * FROM freezes WHERE lifted_at IS NULL AND environment IS ? ORDER BY id',
      )
      .all(environment);
    store.db
      .prepare('UPDATE freezes SET lifted_at = ?, lifted_by = ? WHERE lifted_at IS NULL AND environment IS ?')
      .run(at.toISOString(), actor, environment);
    return rows.map(toFreeze);
  });
}
