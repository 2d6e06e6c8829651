import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ProdguardError } from '../kernel/errors.js';
import { allStoreMigrations } from './schemas/index.js';
import type { StoreMigrationSet } from './store-migration.js';

export type SqliteDatabase = Database.Database;

export interface OpenStoreOptions {
  /** Extra migration sets (tests); the product's sets are always applied. */
  extraMigrations?: readonly StoreMigrationSet[];
  readonly?: boolean;
}

/**
 * The state store: one SQLite file in WAL mode. Many prodguard processes may open it at once;
 * writers serialize on SQLite's lock (busy_timeout) and multi-statement changes use IMMEDIATE transactions.
 */
export class StateStore {
  readonly db: SqliteDatabase;
  readonly path: string;

  private constructor(db: SqliteDatabase, path: string) {
    this.db = db;
    this.path = path;
  }

  static open(path: string, options: OpenStoreOptions = {}): StateStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: SqliteDatabase;
    try {
      db = new Database(path, { readonly: options.readonly ?? false });
    } catch (cause) {
      throw new ProdguardError('PRODGUARD_STORE_OPEN_FAILED', `Cannot open the state store at ${path}.`, {
        cause,
        hint: 'Check that the folder is writable, or set stateDir in prodguard.yaml.',
      });
    }
    db.pragma('busy_timeout = 10000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
    }
    const store = new StateStore(db, path);
    if (!options.readonly) store.#migrate([...allStoreMigrations, ...(options.extraMigrations ?? [])]);
    return store;
  }

  /** Runs fn in a BEGIN IMMEDIATE transaction: the write lock is taken up front, so read-then-write is safe. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  #migrate(sets: readonly StoreMigrationSet[]): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS store_migrations (domain TEXT PRIMARY KEY, version INTEGER NOT NULL)',
    );
    const read = this.db.prepare<[string], { version: number }>(
      'SELECT version FROM store_migrations WHERE domain = ?',
    );
    const write = this.db.prepare(
      'INSERT INTO store_migrations(domain, version) VALUES (?, ?) ON CONFLICT(domain) DO UPDATE SET version = excluded.version',
    );
    for (const set of sets) {
      const applied = read.get(set.domain)?.version ?? 0;
      if (applied > set.migrations.length) {
        throw new ProdguardError(
          'PRODGUARD_STORE_TOO_NEW',
          `The state store at ${this.path} was written by a newer prodguard (${set.domain} schema v${applied}, this one knows v${set.migrations.length}).`,
          { hint: 'Upgrade prodguard; do not delete the store, it holds the audit trail.', kind: 'usage' },
        );
      }
      if (applied === set.migrations.length) continue;
      this.transaction(() => {
        // Re-read inside the lock: another process may have migrated meanwhile.
        const now = read.get(set.domain)?.version ?? 0;
        for (let v = now; v < set.migrations.length; v++) this.db.exec(set.migrations[v]!);
        write.run(set.domain, set.migrations.length);
      });
    }
  }
}
