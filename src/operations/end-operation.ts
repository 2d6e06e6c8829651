import type { OperationEventMap } from './operation-events.js';
import type { FinishedStatus, OperationKind, OperationRecord } from './operation-record.js';
import type { OperationAuditInput, OperationStore } from './operation-store.js';

export interface OperationEndSink {
  emit(name: 'operation:finished', payload: OperationEventMap['operation:finished']): void;
}

export interface EndOperationInput {
  message: string;
  elapsedMs: number;
  error?: string | undefined;
  audit?: Partial<OperationAuditInput>;
}

/**
 * The one way an operation ends: final status and audit outcome in one transaction, then the display
 * event. If the outcome cannot be recorded the error propagates; the action already happened, so the
 * caller reports failure instead of success.
 */
export function endOperation<K extends OperationKind>(
  ops: OperationStore,
  events: OperationEndSink,
  op: OperationRecord<K>,
  status: FinishedStatus,
  input: EndOperationInput,
): void {
  ops.finish(op, status, {
    message: input.message,
    error: input.error,
    ...(input.audit ? { audit: input.audit } : {}),
  });
  events.emit('operation:finished', {
    operationId: op.id,
    environment: op.environment,
    kind: op.kind,
    outcome: status,
    elapsedMs: input.elapsedMs,
    message: input.message,
  });
}
