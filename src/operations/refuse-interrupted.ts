import { ProdguardError } from '../kernel/errors.js';
import type { OperationEventMap } from './operation-events.js';
import type { OperationStore } from './operation-store.js';

export interface InterruptedSink {
  emit(name: 'operation:interrupted-found', payload: OperationEventMap['operation:interrupted-found']): void;
}

/**
 * Called with the environment lock held: any operation still marked running was interrupted (its process
 * died, or its lease expired). Whatever its kind, the next change refuses and names it, with both ways out.
 */
export function refuseInterrupted(ops: OperationStore, events: InterruptedSink, environment: string): void {
  const op = ops.running(environment)[0];
  if (!op) return;
  const last = ops.lastStep(op.id);
  events.emit('operation:interrupted-found', {
    environment,
    operationId: op.id,
    kind: op.kind,
    step: last?.step,
  });
  throw new ProdguardError(
    'PRODGUARD_OPERATION_INTERRUPTED',
    `${op.kind} ${op.id} on ${environment} was interrupted at step "${last?.step ?? 'start'}" (${last?.phase ?? 'not started'}); started ${op.startedAt} by ${op.actor}.`,
    {
      kind: 'refused',
      hint: `Continue it: prodguard resume ${op.id} · or undo it: prodguard abort ${op.id}`,
      details: { operationId: op.id, kind: op.kind, step: last?.step, phase: last?.phase },
    },
  );
}
