import type { TypedEvents } from '../kernel/typed-events.js';
import type { FinishedStatus, OperationKind } from './operation-record.js';

/** Display events every operation kind emits; domains extend the map with their own. */
export interface OperationEventMap {
  'operation:interrupted-found': {
    environment: string;
    operationId: string;
    kind: OperationKind;
    step: string | undefined;
  };
  'step:started': { operationId: string; step: string; elapsedMs: number };
  'step:finished': { operationId: string; step: string; elapsedMs: number; detail?: string; ok: boolean };
  'operation:finished': {
    operationId: string;
    environment: string;
    kind: OperationKind;
    outcome: FinishedStatus | 'refused';
    elapsedMs: number;
    message: string;
  };
}

export type OperationEvents = TypedEvents<OperationEventMap>;
