import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type { AuditEvent } from './audit-event.js';

// The package is CommonJS with an ESM-incompatible type declaration; its default export is the function.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** SHA-256 over the RFC 8785 canonical JSON of every field but the hash itself (prevHash included: that is the chain). */
export function hashAuditEvent(event: Omit<AuditEvent, 'hash'>): string {
  const canonical = canonicalize({
    seq: event.seq,
    at: event.at,
    actor: event.actor,
    environment: event.environment,
    action: event.action,
    target: event.target,
    reason: event.reason,
    outcome: event.outcome,
    details: event.details,
    prevHash: event.prevHash,
  });
  return createHash('sha256')
    .update(canonical ?? '')
    .digest('hex');
}
