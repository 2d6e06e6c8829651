import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Config } from '../../config/index.js';
import { ProdguardError } from '../../kernel/errors.js';
import type { PgSession } from '../pg-session.js';

export type MigrationToolName = 'knex' | 'node-pg-migrate' | 'sql-folder' | 'command';

/** `database.migrations` for a tool other than Prisma, with every default resolved. */
export interface MigrationTool {
  tool: MigrationToolName;
  /** Absolute folder of the migration files. */
  dir: string;
  /** argv that applies every pending migration (reads DATABASE_URL); none for sql-folder. */
  command?: readonly string[];
  /** argv that prints the SQL the command would run, when the tool has one. */
  dryRun?: readonly string[];
  /** The tool's own history table. */
  table: string;
}

/** One migration as the tool names it in its history table. */
export interface ToolMigration {
  name: string;
  file: string;
  /** SQL files only: what lint reads and what the sql-folder checksum covers. */
  sql?: string;
  checksum?: string;
}

const DEFAULT_TABLE: Record<MigrationToolName, string> = {
  knex: 'knex_migrations',
  'node-pg-migrate': 'pgmigrations',
  'sql-folder': 'prodguard_sql_migrations',
  command: 'schema_migrations',
};

/** The tool settings, or undefined when Prisma migrations are applied by prodguard itself. */
export function migrationToolOf(config: Pick<Config, 'root' | 'database'>): MigrationTool | undefined {
  const setting = config.database.migrations;
  if (typeof setting === 'string' || setting.tool === 'prisma') return undefined;
  const dirSetting = setting.dir ?? 'migrations';
  const dir = isAbsolute(dirSetting) ? dirSetting : join(config.root, dirSetting);
  const bin = (name: string) => join(config.root, 'node_modules', '.bin', name);
  const command =
    setting.command ??
    (setting.tool === 'knex'
      ? [bin('knex'), 'migrate:latest']
      : setting.tool === 'node-pg-migrate'
        ? [bin('node-pg-migrate'), 'up', '--migrations-dir', dir]
        : undefined);
  if (setting.tool === 'command' && !command) {
    throw new ProdguardError(
      'PRODGUARD_CONFIG_MIGRATION_COMMAND',
      'database.migrations.tool is command but database.migrations.command is not set.',
      { kind: 'usage', hint: 'e.g. command: [npx, drizzle-kit, migrate]' },
    );
  }
  const dryRun =
    setting.dryRun ?? (setting.tool === 'node-pg-migrate' ? [...(command ?? []), '--dry-run'] : undefined);
  return {
    tool: setting.tool,
    dir,
    ...(command ? { command } : {}),
    ...(dryRun ? { dryRun } : {}),
    table: setting.table ?? DEFAULT_TABLE[setting.tool],
  };
}

/** Flyway-style `V<version>__<description>.sql`; the version orders the files (V2 before V10). */
const SQL_FOLDER_FILE = /^V(\d+(?:[._]\d+)*)__(.+)\.sql$/;

function versionKey(file: string): number[] {
  const match = SQL_FOLDER_FILE.exec(file);
  return match ? match[1]!.split(/[._]/).map(Number) : [];
}

function compareVersions(a: string, b: string): number {
  const x = versionKey(a);
  const y = versionKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The project's migrations in the order the tool applies them, named as its history table names them. */
export function listToolMigrations(tool: MigrationTool): ToolMigration[] {
  if (!existsSync(tool.dir)) return [];
  const files = readdirSync(tool.dir).filter((f) => !f.startsWith('.'));
  switch (tool.tool) {
    case 'sql-folder': {
      const bad = files.filter((f) => f.endsWith('.sql') && !SQL_FOLDER_FILE.test(f));
      if (bad.length > 0)
        throw new ProdguardError(
          'PRODGUARD_MIGRATE_SQL_FOLDER_NAME',
          `${tool.dir}: ${bad.join(', ')} not named V<version>__<description>.sql.`,
          { kind: 'usage', hint: 'Rename them, e.g. V3__add_posts.sql; the version orders the files.' },
        );
      return files
        .filter((f) => SQL_FOLDER_FILE.test(f))
        .sort(compareVersions)
        .map((file) => {
          const sql = readFileSync(join(tool.dir, file), 'utf8');
          return {
            name: file,
            file: join(tool.dir, file),
            sql,
            checksum: createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex'),
          };
        });
    }
    case 'knex':
      // knex records the file name with its extension, in file-name order.
      return files
        .filter((f) => /\.(c|m)?(js|ts)$/.test(f))
        .sort()
        .map((file) => ({ name: file, file: join(tool.dir, file) }));
    case 'node-pg-migrate':
      // node-pg-migrate records the name without its extension; .sql files are plain SQL.
      return files
        .filter((f) => /\.(c|m)?(js|ts)$|\.sql$/.test(f))
        .sort()
        .map((file) => {
          const sql = file.endsWith('.sql') ? readFileSync(join(tool.dir, file), 'utf8') : undefined;
          return { name: file.replace(/\.[^.]+$/, ''), file: join(tool.dir, file), ...(sql ? { sql } : {}) };
        });
    case 'command':
      return [];
  }
}

/** Names (and checksums, for sql-folder) the tool's history table says are applied; empty before its first run. */
export async function readToolApplied(
  tool: MigrationTool,
  db: PgSession,
): Promise<{ name: string; checksum?: string }[]> {
  const { rows } = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [tool.table]);
  if (!rows[0]?.t) return [];
  const sql =
    tool.tool === 'sql-folder'
      ? `SELECT name, checksum FROM ${tool.table} WHERE finished_at IS NOT NULL ORDER BY installed_rank`
      : `SELECT name FROM ${tool.table} ORDER BY id`;
  const applied = await db.query<{ name: string; checksum?: string }>(sql);
  return applied.rows;
}

export interface ToolStatus {
  applied: string[];
  pending: string[];
  /** Applied, with a different checksum now (sql-folder). */
  edited: string[];
  /** In the table, not in the folder. */
  missing: string[];
  /** Pending, yet ordered before an applied one. */
  outOfOrder: string[];
}

/** Pure: the folder against the tool's history table. */
export function planToolStatus(
  migrations: readonly ToolMigration[],
  applied: readonly { name: string; checksum?: string }[],
): ToolStatus {
  const byName = new Map(applied.map((a) => [a.name, a]));
  const names = migrations.map((m) => m.name);
  const pending = names.filter((n) => !byName.has(n));
  const lastApplied = Math.max(-1, ...names.map((n, i) => (byName.has(n) ? i : -1)));
  return {
    applied: names.filter((n) => byName.has(n)),
    pending,
    edited: migrations
      .filter(
        (m) => m.checksum && byName.get(m.name)?.checksum && byName.get(m.name)!.checksum !== m.checksum,
      )
      .map((m) => m.name),
    missing: applied.map((a) => a.name).filter((n) => !names.includes(n)),
    outOfOrder: pending.filter((n) => names.indexOf(n) < lastApplied),
  };
}
