/**
 * Each domain owns its tables and their history: an ordered list of SQL scripts that is only ever appended to.
 * The store records, per domain, how many have run.
 */
export interface StoreMigrationSet {
  readonly domain: string;
  readonly migrations: readonly string[];
}
