import type { AuditLog } from '../audit/index.js';

/** The audit as the monitor and incident domains see it: one method, the typed append of the audit log. */
export type AuditPort = Pick<AuditLog, 'append'>;
