import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ProdguardError } from '../kernel/errors.js';
import { prismaChecksum } from './prisma-checksum.js';

/** One folder of a Prisma Migrate history. */
export interface MigrationFile {
  /** Folder name, which is the migration's name in `_prisma_migrations`. */
  readonly name: string;
  readonly dir: string;
  /** Absolute path of migration.sql. */
  readonly path: string;
  readonly sql: string;
  readonly checksum: string;
  /** Absolute path of down.sql, when the rollback plan exists. */
  readonly downPath: string | undefined;
  readonly downSql: string | undefined;
}

export interface MigrationHistory {
  readonly dir: string;
  readonly migrations: readonly MigrationFile[];
  /** `provider` from migration_lock.toml, when the file exists. */
  readonly provider: string | undefined;
}

/** Prisma sorts folder names as Rust strings: bytewise, not by locale. */
export function compareMigrationNames(a: string, b: string): number {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return Buffer.compare(ab, bb);
}

/** Reads `<dir>/*\/migration.sql` in Prisma's order. A missing folder is an empty history. */
export function readMigrationHistory(dir: string): MigrationHistory {
  if (!existsSync(dir)) return { dir, migrations: [], provider: undefined };
  const lockFile = join(dir, 'migration_lock.toml');
  let provider: string | undefined;
  if (existsSync(lockFile)) {
    provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(readFileSync(lockFile, 'utf8'))?.[1];
    if (provider !== undefined && provider !== 'postgresql' && provider !== 'postgres') {
      throw new ProdguardError(
        'PRODGUARD_MIGRATE_PROVIDER',
        `${lockFile} says provider = "${provider}"; prodguard migrates PostgreSQL only.`,
        {
          kind: 'usage',
          hint: 'Point database.migrations in prodguard.yaml at a PostgreSQL migration history.',
        },
      );
    }
  }
  const names = readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort(compareMigrationNames);
  const migrations: MigrationFile[] = [];
  for (const name of names) {
    const folder = join(dir, name);
    const path = join(folder, 'migration.sql');
    if (!existsSync(path)) {
      const entries = readdirSync(folder);
      throw new ProdguardError(
        'PRODGUARD_MIGRATE_FOLDER_UNSUPPORTED',
        `Migration folder ${folder} has no migration.sql (it holds: ${entries.join(', ') || 'nothing'}).`,
        {
          kind: 'usage',
          hint:
            entries.length > 0
              ? 'This looks like a newer Prisma migration layout (Prisma 8 style), which prodguard does not support yet. Keep one migration.sql per folder.'
              : 'Remove the empty folder, or add its migration.sql.',
        },
      );
    }
    const bytes = readFileSync(path);
    const downPath = join(folder, 'down.sql');
    const hasDown = existsSync(downPath);
    migrations.push({
      name,
      dir: folder,
      path,
      sql: bytes.toString('utf8'),
      checksum: prismaChecksum(bytes),
      downPath: hasDown ? downPath : undefined,
      downSql: hasDown ? readFileSync(downPath, 'utf8') : undefined,
    });
  }
  return { dir, migrations, provider };
}
