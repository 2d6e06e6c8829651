import { type AuditEvent, type AuditLog, runAuditedAtomic } from '../audit/index.js';
import { ProdguardError } from '../kernel/errors.js';
import { breakEnvironmentLock, type LockHolder, readLockHolders, type StateStore } from '../store/index.js';

export interface LockBreakDeps {
  store: StateStore;
  audit: Pick<AuditLog, 'append' | 'atomically'>;
  actor: string;
}

export interface LockBreakResult {
  broken: LockHolder;
  audit: AuditEvent;
}

/**
 * Removes a stuck environment lock. The intent is audited first; the lock row is deleted in the same
 * transaction as the outcome event, so a lock is never broken without a record of who broke it and why.
 */
export function runLockBreak(
  deps: LockBreakDeps,
  options: { environment: string; reason: string },
): LockBreakResult {
  const notHeld = () =>
    new ProdguardError('PRODGUARD_LOCK_NOT_HELD', `Environment ${options.environment} is not locked.`, {
      kind: 'usage',
      hint: 'prodguard lock status lists the held locks.',
    });
  const holder = readLockHolders(deps.store).find((h) => h.environment === options.environment);
  if (!holder) throw notHeld();
  const result = runAuditedAtomic(
    deps.audit,
    {
      actor: deps.actor,
      environment: options.environment,
      action: 'lock.break',
      target: holder.operation,
      reason: options.reason,
      details: { holder },
    },
    () => {
      const broken = breakEnvironmentLock(deps.store, options.environment);
      if (!broken) throw notHeld();
      return broken;
    },
    (broken) => ({ details: { holder: broken } }),
  );
  return { broken: result.value, audit: result.outcome };
}
