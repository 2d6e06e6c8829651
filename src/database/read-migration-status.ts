import { redactText } from '../kernel/redact.js';
import { type DatabaseConfigView, hasDatabase, resolveDatabaseTarget } from './database-target.js';
import { listToolMigrations, type MigrationTool } from './migrate-tool/migration-tool.js';
import { readToolStatus } from './migrate-tool/run-migrate-tool.js';
import type { MigrationHistory } from './migration-files.js';
import { openPgSession } from './pg-session.js';
import {
  type EnvironmentMigrationStatus,
  type MigrationState,
  planMigrationStatus,
} from './plan-migration-status.js';
import { readMigrationRows } from './prisma-migrations-table.js';

export interface EnvironmentStatusResult {
  environment: string;
  /** Set when the database could not be read (URL variable unset, unreachable). */
  error?: string;
  /** The environment declares no database: reported, and left out of the exit code. */
  notConfigured?: true;
  status?: EnvironmentMigrationStatus;
}

export interface MigrationStatusMatrix {
  migrations: string[];
  environments: EnvironmentStatusResult[];
  /** migration → environment → state ('unknown' when it could not be read, 'not-configured' without a database). */
  cells: Record<string, Record<string, MigrationState | 'unknown' | 'not-configured'>>;
  /** Documented exit-code bitmap: 1 pending, 2 failed, 4 edited/missing/out-of-order, 8 unreachable. */
  exitCode: number;
}

/** Reads one environment's `_prisma_migrations` and plans its state. */
export async function readEnvironmentStatus(
  history: MigrationHistory,
  _environment: string,
  url: string,
): Promise<EnvironmentMigrationStatus> {
  const db = await openPgSession(url, 'prodguard migrate status');
  try {
    return planMigrationStatus(history.migrations, await readMigrationRows(db));
  } finally {
    await db.close();
  }
}

/**
 * Every named environment's status, read in parallel. An environment without a database is reported as not
 * configured and does not change the exit code; an unreadable one sets bit 8.
 */
export async function readStatusMatrix(
  config: DatabaseConfigView,
  env: NodeJS.ProcessEnv,
  history: MigrationHistory,
  names: readonly string[],
): Promise<MigrationStatusMatrix> {
  const environments = await Promise.all(
    names.map(async (environment): Promise<EnvironmentStatusResult> => {
      if (!hasDatabase(config, environment)) return { environment, notConfigured: true };
      try {
        const target = resolveDatabaseTarget(config, environment, env);
        return { environment, status: await readEnvironmentStatus(history, environment, target.url) };
      } catch (error) {
        return { environment, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  return assembleStatusMatrix(history, environments);
}

/** Pure: the migration × environment matrix and its exit code. */
export function assembleStatusMatrix(
  history: { readonly migrations: readonly { readonly name: string }[] },
  environments: readonly EnvironmentStatusResult[],
): MigrationStatusMatrix {
  const names = history.migrations.map((m) => m.name);
  for (const env of environments) {
    for (const entry of env.status?.entries ?? []) if (!names.includes(entry.name)) names.push(entry.name);
  }
  const cells: MigrationStatusMatrix['cells'] = {};
  let exitCode = 0;
  for (const name of names) {
    cells[name] = {};
    for (const env of environments) {
      const state = env.notConfigured
        ? 'not-configured'
        : (env.status?.entries.find((e) => e.name === name)?.state ?? 'unknown');
      cells[name]![env.environment] = state;
    }
  }
  for (const env of environments) {
    if (env.error) exitCode |= 8;
    const s = env.status;
    if (!s) continue;
    if (s.pending.length > 0) exitCode |= 1;
    if (s.failed.length > 0) exitCode |= 2;
    if (s.edited.length + s.missing.length + s.outOfOrder.length > 0) exitCode |= 4;
  }
  return {
    migrations: names,
    environments: environments.map((e) => ({ ...e, ...(e.error ? { error: redactText(e.error) } : {}) })),
    cells,
    exitCode,
  };
}

/** The same matrix for a project migrated by its own tool, read from the tool's history table. */
export async function readToolStatusMatrix(
  config: DatabaseConfigView,
  env: NodeJS.ProcessEnv,
  tool: MigrationTool,
  names: readonly string[],
): Promise<MigrationStatusMatrix> {
  const migrations = listToolMigrations(tool);
  const environments = await Promise.all(
    names.map(async (environment): Promise<EnvironmentStatusResult> => {
      if (!hasDatabase(config, environment)) return { environment, notConfigured: true };
      try {
        const url = resolveDatabaseTarget(config, environment, env).url;
        const s = await readToolStatus(tool, url);
        const state = (name: string): MigrationState =>
          s.edited.includes(name)
            ? 'edited'
            : s.applied.includes(name)
              ? 'applied'
              : s.outOfOrder.includes(name)
                ? 'out-of-order'
                : 'pending';
        return {
          environment,
          status: {
            entries: [
              ...migrations.map((m) => ({ name: m.name, state: state(m.name) })),
              ...s.missing.map((name) => ({ name, state: 'missing' as const })),
            ],
            pending: s.pending,
            failed: [],
            edited: s.edited,
            missing: s.missing,
            outOfOrder: s.outOfOrder,
          },
        };
      } catch (error) {
        return { environment, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  return assembleStatusMatrix({ migrations }, environments);
}
