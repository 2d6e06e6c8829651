import { isProdguardError } from '../kernel/errors.js';
import { AuditUnavailableError } from './audit-errors.js';
import type { AuditEvent, AuditEventInput, AuditOutcome } from './audit-event.js';
import type { AuditLog } from './audit-log.js';

/** The intent: everything an event has but its outcome (which is `started`). */
export type AuditIntent = Omit<AuditEventInput, 'outcome'>;

/** How the action ended, when it returned; default `success`. Details are merged over the intent's. */
export interface AuditSettlement {
  outcome?: AuditOutcome;
  target?: string;
  details?: Record<string, unknown>;
}

export interface AuditedResult<T> {
  value: T;
  intent: AuditEvent;
  outcome: AuditEvent;
}

type Settle<T> = (value: T) => AuditSettlement;

/**
 * Write-ahead audit around one mutating action: the intent (`started`) is appended first and, if that
 * append fails, `act` never runs. The outcome follows: `success` (or what `settle` says) when `act`
 * returns, `refused`/`failed` with the error's code and message when it throws (the error is rethrown).
 * The outcome's details carry `intentSeq`, linking the two events.
 *
 * @example
 * const { value: pin } = await runAudited(
 *   ctx.audit,
 *   { actor, environment: 'production', action: 'secrets.pin', target: 'DATABASE_URL v3' },
 *   () => vault.pin(ref, 3),
 * );
 */
export async function runAudited<T>(
  audit: Pick<AuditLog, 'append'>,
  intent: AuditIntent,
  act: (intent: AuditEvent) => Promise<T> | T,
  settle?: Settle<T>,
): Promise<AuditedResult<T>> {
  const started = audit.append({ ...intent, outcome: 'started' });
  let value: T;
  try {
    value = await act(started);
  } catch (error) {
    recordFailure(audit, intent, started, error);
    throw error;
  }
  return { value, intent: started, outcome: recordOutcome(audit, intent, started, settle?.(value)) };
}

/** {@link runAudited} for a synchronous action (its intent is still written before it runs). */
export function runAuditedSync<T>(
  audit: Pick<AuditLog, 'append'>,
  intent: AuditIntent,
  act: (intent: AuditEvent) => T,
  settle?: Settle<T>,
): AuditedResult<T> {
  const started = audit.append({ ...intent, outcome: 'started' });
  let value: T;
  try {
    value = act(started);
  } catch (error) {
    recordFailure(audit, intent, started, error);
    throw error;
  }
  return { value, intent: started, outcome: recordOutcome(audit, intent, started, settle?.(value)) };
}

/**
 * Like {@link runAudited} for a change made in the state store itself (a synchronous `act`): the change
 * and its outcome event commit in one transaction, so if the outcome cannot be recorded the change is
 * undone as well.
 */
export function runAuditedAtomic<T>(
  audit: Pick<AuditLog, 'append' | 'atomically'>,
  intent: AuditIntent,
  act: (intent: AuditEvent) => T,
  settle?: Settle<T>,
): AuditedResult<T> {
  const started = audit.append({ ...intent, outcome: 'started' });
  try {
    return audit.atomically(() => {
      const value = act(started);
      return { value, intent: started, outcome: recordOutcome(audit, intent, started, settle?.(value)) };
    });
  } catch (error) {
    if (!(error instanceof AuditUnavailableError)) recordFailure(audit, intent, started, error);
    throw error;
  }
}

function recordOutcome(
  audit: Pick<AuditLog, 'append'>,
  intent: AuditIntent,
  started: AuditEvent,
  settlement: AuditSettlement | undefined,
): AuditEvent {
  return audit.append({
    ...intent,
    ...(settlement?.target !== undefined ? { target: settlement.target } : {}),
    outcome: settlement?.outcome ?? 'success',
    details: { ...intent.details, ...settlement?.details, intentSeq: started.seq },
  });
}

/** The action failed; its outcome is recorded. If even that fails, both failures are reported. */
function recordFailure(
  audit: Pick<AuditLog, 'append'>,
  intent: AuditIntent,
  started: AuditEvent,
  error: unknown,
): void {
  const refused = isProdguardError(error) && (error.kind === 'refused' || error.kind === 'usage');
  try {
    audit.append({
      ...intent,
      outcome: refused ? 'refused' : 'failed',
      details: {
        ...intent.details,
        ...(isProdguardError(error) ? { ...error.details, code: error.code } : {}),
        intentSeq: started.seq,
        error: error instanceof Error ? error.message : String(error),
      },
    });
  } catch (auditError) {
    if (auditError instanceof Error && error instanceof Error) {
      auditError.message = `${error.message} — and then: ${auditError.message}`;
    }
    throw auditError;
  }
}
