import { ProdguardError } from '../kernel/errors.js';
import type { PipelineDeps } from './pipeline-deps.js';

/**
 * Called with the environment lock held: any operation still marked running was interrupted (its process
 * died, or its lease expired). The command refuses and names it, with both ways out.
 */
export function refuseInterrupted(deps: Pick<PipelineDeps, 'store' | 'events'>, environment: string): void {
  const interrupted = deps.store.runningOperations(environment);
  const op = interrupted[0];
  if (!op) return;
  const journal = deps.store.readJournal(op.id);
  const last = journal[journal.length - 1];
  deps.events.emit('operation:interrupted-found', {
    environment,
    operationId: op.id,
    kind: op.kind,
    step: last?.step,
  });
  throw new ProdguardError(
    'PRODGUARD_DEPLOY_INTERRUPTED',
    `${op.kind} ${op.id} on ${environment} was interrupted at step "${last?.step ?? 'start'}" (${last?.phase ?? 'before'}); started ${op.startedAt} by ${op.actor}.`,
    {
      kind: 'refused',
      hint: `Continue it: prodguard resume ${environment} · or undo it (restores the traffic it found): prodguard abort ${environment}`,
      details: { operationId: op.id, kind: op.kind, step: last?.step, phase: last?.phase },
    },
  );
}
