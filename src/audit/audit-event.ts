import type { AuditAction } from './audit-actions.js';

/**
 * How an action ended. `started` is the intent, written before the action acts; the outcome event that
 * follows carries `details.intentSeq`, so an intent without an outcome shows an action that was interrupted.
 */
export type AuditOutcome =
  | 'started'
  | 'success'
  | 'refused'
  | 'failed'
  | 'overridden'
  | 'rolled-back'
  | 'aborted';

/** What a caller records; the log adds sequence, time and hashes. */
export interface AuditEventInput {
  actor: string;
  environment?: string | undefined;
  action: AuditAction;
  target?: string | undefined;
  reason?: string | undefined;
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
}

/** A stored event. `action` is a string: history written by older versions keeps its names. */
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

/** The newest event's sequence number and hash: what an anchor keeps outside the state store. */
export interface AuditHead {
  seq: number;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
