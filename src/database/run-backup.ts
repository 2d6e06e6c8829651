import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, existsSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError } from '../kernel/errors.js';
import { makeOwnerOnlyDir } from '../kernel/private-dir.js';
import type { ProcessRunner } from '../kernel/process-runner.js';
import { redactText } from '../kernel/redact.js';
import { type OperationKindSpec, type OperationRecord, OperationStore } from '../operations/index.js';
import type { StateStore } from '../store/index.js';
import { type BackupRecord, readBackupRecords, writeBackupRecord } from './database-records.js';
import { databaseNameOf, openPgSession, redactUrl } from './pg-session.js';

/** libpq reads the password from PGPASSWORD, so it never appears in a process list. */
export function libpqConnection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { dbname: parsed.toString(), env: password ? { PGPASSWORD: password } : {} };
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

export interface BackupDeps {
  processes: ProcessRunner;
  clock: Clock;
  store: StateStore;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** A restore is an audited operation: the intent is recorded before pg_restore runs. */
export interface RestoreDeps extends BackupDeps {
  audit: Pick<AuditLog, 'append'>;
  actor: string;
  ops?: OperationStore;
}

export interface RunBackupOptions {
  environment: string;
  url: string;
  dir: string;
  reason?: string;
}

function fileStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * pg_dump in custom format, then read back in full (pg_restore --list for the entries, and a restore to
 * /dev/null that reads every data block); path, size, duration and SHA-256 are recorded.
 */
export async function runBackup(options: RunBackupOptions, deps: BackupDeps): Promise<BackupRecord> {
  makeOwnerOnlyDir(options.dir);
  const started = deps.clock.now();
  const startedMs = deps.clock.nowMs();
  const path = join(
    options.dir,
    `${options.environment}-${databaseNameOf(options.url)}-${fileStamp(started)}-${process.pid}.dump`,
  );
  // Created owner-only before pg_dump writes it (pg_dump truncates and keeps the mode): no readable window.
  closeSync(
    openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600),
  );
  const conn = libpqConnection(options.url);
  const env = { ...deps.env, ...conn.env };
  const dump = await deps.processes.run(
    'pg_dump',
    ['--format=custom', '--no-password', `--file=${path}`, `--dbname=${conn.dbname}`],
    { cwd: deps.cwd, env, timeoutMs: 6 * 3_600_000 },
  );
  if (dump.failed) {
    throw new ProdguardError(
      'PRODGUARD_DB_BACKUP_FAILED',
      `pg_dump of ${options.environment} (${redactUrl(options.url)}) failed: ${redactText(dump.spawnError ?? dump.stderr.trim())}`,
      { hint: 'Install the PostgreSQL client tools (pg_dump 15 or newer) and check the connection.' },
    );
  }
  const list = await deps.processes.run('pg_restore', ['--list', path], { cwd: deps.cwd, env: deps.env });
  const full = await deps.processes.run('pg_restore', ['--file=/dev/null', path], {
    cwd: deps.cwd,
    env: deps.env,
  });
  if (list.failed || full.failed) {
    throw new ProdguardError(
      'PRODGUARD_DB_BACKUP_UNREADABLE',
      `The backup ${path} could not be read back: ${(list.failed ? list.stderr : full.stderr).trim()}`,
      { hint: 'Do not migrate without a readable backup. Check disk space and retry.' },
    );
  }
  const entries = list.stdout
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith(';')).length;
  const sha256 = await sha256File(path);
  const finished = deps.clock.now();
  return writeBackupRecord(deps.store, {
    environment: options.environment,
    path,
    sizeBytes: statSync(path).size,
    sha256,
    durationMs: Math.max(0, deps.clock.nowMs() - startedMs),
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    entries,
    reason: options.reason ?? null,
  });
}

export interface RunRestoreOptions {
  /** A backup id from `db backup`, or a path to a .dump file. */
  backup: string;
  intoUrl: string;
  /** The environments' own databases: a restore never goes into one of them. */
  environmentUrls?: Readonly<Record<string, string>>;
}

/** host:port/database, to compare connection URLs whatever their credentials and options. */
export function databaseIdentity(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname.toLowerCase()}:${parsed.port || '5432'}/${databaseNameOf(url)}`;
}

/** Restores a backup into a (scratch) database after checking its recorded checksum. */
export async function runRestore(
  options: RunRestoreOptions,
  deps: RestoreDeps,
): Promise<{ operationId: string; backup: BackupRecord | undefined; path: string; durationMs: number }> {
  const records = readBackupRecords(deps.store);
  const record = /^\d+$/.test(options.backup)
    ? records.find((r) => r.id === Number(options.backup))
    : records.find((r) => r.path === options.backup);
  const path = record?.path ?? options.backup;
  if (!existsSync(path)) {
    throw new ProdguardError(
      'PRODGUARD_DB_BACKUP_NOT_FOUND',
      `No backup ${options.backup} (looked for ${path}).`,
      {
        kind: 'usage',
        hint: 'List backups with `prodguard db backups`, and pass an id or a .dump path.',
      },
    );
  }
  if (record && (await sha256File(path)) !== record.sha256) {
    throw new ProdguardError(
      'PRODGUARD_DB_BACKUP_CORRUPT',
      `Backup #${record.id} (${path}) no longer matches its recorded SHA-256.`,
      { hint: 'The file changed since it was taken; use another backup.' },
    );
  }
  const target = databaseIdentity(options.intoUrl);
  for (const [environment, url] of Object.entries(options.environmentUrls ?? {})) {
    if (databaseIdentity(url) === target)
      throw new ProdguardError(
        'PRODGUARD_DB_RESTORE_INTO_ENVIRONMENT',
        `--into is the ${environment} database (${redactUrl(options.intoUrl)}); restores go into a scratch database only.`,
        {
          kind: 'refused',
          hint: 'Create an empty database and restore there; then compare or copy what you need.',
        },
      );
  }
  const check = await openPgSession(options.intoUrl, 'prodguard db restore');
  try {
    const { rows } = await check.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
    );
    if ((rows[0]?.n ?? 0) > 0)
      throw new ProdguardError(
        'PRODGUARD_DB_RESTORE_NOT_EMPTY',
        `${redactUrl(options.intoUrl)} already has ${rows[0]!.n} table(s); a restore goes into an empty database.`,
        {
          kind: 'refused',
          hint: 'Create a fresh database (CREATE DATABASE scratch_restore) and pass its URL.',
        },
      );
  } finally {
    await check.close();
  }
  const ops = deps.ops ?? new OperationStore(deps.store, deps.clock, deps.audit);
  const { op } = ops.begin({
    kind: 'db-restore',
    // A restore never touches an environment: it is journaled under the scratch target's identity.
    environment: RESTORE_ENVIRONMENT,
    actor: deps.actor,
    params: { backup: record?.id ?? path, path, into: target },
    state: {},
    subject: target,
    audit: {
      action: 'db.restore',
      target: redactUrl(options.intoUrl),
      details: { backup: record?.id ?? path },
    },
  });
  const conn = libpqConnection(options.intoUrl);
  const started = deps.clock.nowMs();
  ops.journal(op.id, 'pg-restore', 'started');
  const result = await deps.processes.run(
    'pg_restore',
    ['--no-owner', '--no-privileges', '--exit-on-error', '--no-password', `--dbname=${conn.dbname}`, path],
    { cwd: deps.cwd, env: { ...deps.env, ...conn.env }, timeoutMs: 6 * 3_600_000 },
  );
  const durationMs = Math.max(0, deps.clock.nowMs() - started);
  if (result.failed) {
    const message = `pg_restore into ${redactUrl(options.intoUrl)} failed: ${redactText(result.spawnError ?? result.stderr.trim())}`;
    ops.journal(op.id, 'pg-restore', 'failed', { message });
    ops.finish(op, 'failed', { message, error: message });
    throw new ProdguardError('PRODGUARD_DB_RESTORE_FAILED', message, {
      hint: 'The scratch database may hold part of the backup: drop it, create it empty, and restore again.',
    });
  }
  ops.journal(op.id, 'pg-restore', 'succeeded', { durationMs });
  ops.finish(op, 'succeeded', {
    message: `restored ${record ? `backup #${record.id}` : path} into ${target}`,
    audit: { details: { durationMs } },
  });
  return { operationId: op.id, backup: record, path, durationMs };
}

/** The pseudo environment restores are journaled under: they go into scratch databases only. */
export const RESTORE_ENVIRONMENT = 'scratch';

export interface RestoreParams {
  backup: number | string;
  path: string;
  /** host:port/database of the scratch target; never its credentials. */
  into: string;
}

declare module '../operations/operation-record.js' {
  interface OperationKindMap {
    'db-restore': OperationKindSpec<
      RestoreParams,
      Record<string, never>,
      { 'pg-restore': { durationMs: number } }
    >;
  }
}

/**
 * An interrupted restore left a scratch database holding part of a backup. There is nothing consistent
 * to continue from, and its URL (with credentials) was never journaled: abort closes it and names the
 * database to drop.
 */
export function abortRestore(op: OperationRecord<'db-restore'>, ops: OperationStore): string {
  const message = `Aborted restore ${op.id}: ${op.params.into} may hold part of backup ${op.params.backup}; drop it, create it empty and restore again`;
  ops.finish(op, 'aborted', { message, error: 'aborted after an interruption' });
  return `${message}.`;
}
