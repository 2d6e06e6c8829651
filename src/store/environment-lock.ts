import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Clock } from '../kernel/clock.js';
import { formatDuration } from '../kernel/duration.js';
import { ProdguardError } from '../kernel/errors.js';
import type { StateStore } from './state-store.js';

export interface LockHolder {
  environment: string;
  operation: string;
  owner: string;
  pid: number;
  host: string;
  acquiredAt: string;
  heartbeatAt: string;
  expiresAt: string;
}

export interface AcquireLockOptions {
  environment: string;
  operation: string;
  owner: string;
  /** How long the lock stays valid without a heartbeat. */
  ttlMs?: number;
  /** How long to wait for a held lock before giving up (0: fail at once). */
  waitMs?: number;
  clock: Clock;
  pid?: number;
  host?: string;
  /** Poll interval while waiting. */
  pollMs?: number;
}

export interface EnvironmentLock {
  readonly environment: string;
  readonly token: string;
  /** Extends the lease; returns false when the lock was lost (taken over after expiry). */
  heartbeat(): boolean;
  release(): void;
}

const DEFAULT_TTL_MS = 30_000;

interface LockRow {
  environment: string;
  token: string;
  operation: string;
  owner: string;
  pid: number;
  host: string;
  acquired_at: string;
  heartbeat_at: string;
  expires_at: string;
}

function toHolder(row: LockRow): LockHolder {
  return {
    environment: row.environment,
    operation: row.operation,
    owner: row.owner,
    pid: row.pid,
    host: row.host,
    acquiredAt: row.acquired_at,
    heartbeatAt: row.heartbeat_at,
    expiresAt: row.expires_at,
  };
}

/**
 * A process on this host that no longer exists cannot hold a lock; elsewhere we trust the lease.
 * A killed process whose parent has not reaped it yet is a zombie: it still answers kill(pid, 0), so
 * /proc is asked for its state.
 */
function ownerIsGone(row: Pick<LockRow, 'host' | 'pid'>, localHost: string): boolean {
  if (row.host !== localHost) return false;
  try {
    process.kill(row.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  return isZombie(row.pid);
}

function isZombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

export class LockHeldError extends ProdguardError {
  constructor(holder: LockHolder, waitedMs: number) {
    super(
      'PRODGUARD_LOCK_HELD',
      `Environment ${holder.environment} is locked by "${holder.operation}" (${holder.owner}, pid ${holder.pid} on ${holder.host}, since ${holder.acquiredAt})${waitedMs > 0 ? `; waited ${formatDuration(waitedMs)}` : ''}.`,
      {
        kind: 'refused',
        hint: 'Wait for it to finish, or retry with --wait 5m. A lock whose process died is taken over automatically.',
        details: { holder },
      },
    );
  }
}

/** Takes the environment's lock, waiting up to waitMs. Throws LockHeldError naming the holder. */
export async function acquireEnvironmentLock(
  store: StateStore,
  options: AcquireLockOptions,
): Promise<EnvironmentLock> {
  const ttl = options.ttlMs ?? DEFAULT_TTL_MS;
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  const token = randomUUID();
  const started = options.clock.nowMs();
  const select = store.db.prepare<[string], LockRow>('SELECT * FROM locks WHERE environment = ?');
  const remove = store.db.prepare('DELETE FROM locks WHERE environment = ? AND token = ?');
  const insert = store.db.prepare(
    'INSERT INTO locks(environment, token, operation, owner, pid, host, acquired_at, heartbeat_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?)',
  );
  for (;;) {
    const outcome = store.transaction(() => {
      const now = options.clock.now();
      const row = select.get(options.environment);
      if (row) {
        const expired = new Date(row.expires_at).getTime() <= now.getTime();
        if (!expired && !ownerIsGone(row, host)) return { held: toHolder(row) };
        remove.run(row.environment, row.token);
      }
      const iso = now.toISOString();
      insert.run(
        options.environment,
        token,
        options.operation,
        options.owner,
        pid,
        host,
        iso,
        iso,
        new Date(now.getTime() + ttl).toISOString(),
      );
      return { held: undefined, tookOver: row ? toHolder(row) : undefined };
    });
    if (!outcome.held) break;
    const waited = options.clock.nowMs() - started;
    if (waited >= (options.waitMs ?? 0)) throw new LockHeldError(outcome.held, options.waitMs ? waited : 0);
    await options.clock.sleep(Math.min(options.pollMs ?? 250, (options.waitMs ?? 0) - waited));
  }
  const heartbeatStatement = store.db.prepare(
    'UPDATE locks SET heartbeat_at = ?, expires_at = ? WHERE environment = ? AND token = ?',
  );
  let released = false;
  return {
    environment: options.environment,
    token,
    heartbeat() {
      if (released) return false;
      const now = options.clock.now();
      const result = heartbeatStatement.run(
        now.toISOString(),
        new Date(now.getTime() + ttl).toISOString(),
        options.environment,
        token,
      );
      return result.changes === 1;
    },
    release() {
      if (released) return;
      released = true;
      remove.run(options.environment, token);
    },
  };
}

/** A holder that still acts: its lease has not expired and, on this host, its process is alive. */
export function isLockHolderLive(holder: LockHolder, nowMs: number): boolean {
  if (new Date(holder.expiresAt).getTime() <= nowMs) return false;
  return !ownerIsGone(holder, hostname());
}

export function readLockHolders(store: StateStore): LockHolder[] {
  return store.db.prepare<[], LockRow>('SELECT * FROM locks ORDER BY environment').all().map(toHolder);
}

/**
 * Runs fn while holding the environment lock, heartbeating in the background so a long operation keeps it
 * and a crashed one loses it after the lease.
 */
export async function withEnvironmentLock<T>(
  store: StateStore,
  options: AcquireLockOptions,
  fn: (lock: EnvironmentLock) => Promise<T>,
): Promise<T> {
  const lock = await acquireEnvironmentLock(store, options);
  const interval = setInterval(
    () => lock.heartbeat(),
    Math.max(1000, Math.floor((options.ttlMs ?? DEFAULT_TTL_MS) / 3)),
  );
  interval.unref();
  try {
    return await fn(lock);
  } finally {
    clearInterval(interval);
    lock.release();
  }
}

/** Removes a stuck lock; returns who held it, or undefined when the environment was not locked. */
export function breakEnvironmentLock(store: StateStore, environment: string): LockHolder | undefined {
  return store.transaction(() => {
    const row = store.db
      .prepare<[string], LockRow>('SELECT * FROM locks WHERE environment = ?')
      .get(environment);
    if (!row) return undefined;
    store.db.prepare('DELETE FROM locks WHERE environment = ? AND token = ?').run(environment, row.token);
    return toHolder(row);
  });
}
