/**
 * The audit as the monitor and incident domains see it: one method. The workspace's AuditLog fits;
 * the operation kernel may pass its own typed appender.
 */
export interface AuditPort {
  append(event: {
    actor: string;
    environment?: string;
    action: string;
    target?: string;
    reason?: string;
    outcome: 'success' | 'failed' | 'refused' | 'started' | 'overridden' | 'rolled-back';
    details?: Record<string, unknown>;
  }): unknown;
}
