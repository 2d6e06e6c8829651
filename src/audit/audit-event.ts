export type AuditOutcome = 'success' | 'refused' | 'failed' | 'overridden' | 'rolled-back' | 'started';

/** What a caller records; the log adds sequence, time and hashes. */
export interface AuditEventInput {
  actor: string;
  environment?: string | undefined;
  action: string;
  target?: string | undefined;
  reason?: string | undefined;
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
}

export interface AuditEvent {
  seq: number;
  at: string;
  actor: string;
  environment: string | null;
  action: string;
  target: string | null;
  reason: string | null;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
