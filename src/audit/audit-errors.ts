import { ProdguardError } from '../kernel/errors.js';

/**
 * The audit trail cannot be written or read. Writes are fail-closed: the action this event was for has
 * not been carried out (exit 1, like any refusal).
 */
export class AuditUnavailableError extends ProdguardError {
  constructor(what: string, storePath: string, cause: unknown, mode: 'write' | 'read' = 'write') {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const repair =
      'if the audit_events table was dropped or altered, restore the state store from a backup and run `prodguard audit verify`.';
    super(
      'PRODGUARD_AUDIT_UNAVAILABLE',
      `${what}: the audit trail in ${storePath} is unavailable (${reason}).`,
      {
        cause,
        kind: 'refused',
        hint:
          mode === 'write'
            ? `Nothing was done: nothing happens without an audit record. Check that the state store is writable; ${repair}`
            : `The audit trail cannot be read, so it cannot be trusted; ${repair}`,
      },
    );
  }
}
