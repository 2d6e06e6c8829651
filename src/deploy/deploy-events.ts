import type { TrafficTarget } from '../platform/index.js';
import type { Verdict } from '../rules/index.js';
import type { Breach, SampleVerdict } from './analyze-sample.js';
import type { DetectionTimes } from './plan-detection-times.js';

export type OperationKind = 'deploy' | 'rollback' | 'maintenance';

/**
 * Domain events of the pipeline. The CLI renders them (human or NDJSON) and the audit log subscribes
 * to them; core code never writes output itself.
 */
export interface DeployEventMap {
  'operation:interrupted-found': {
    environment: string;
    operationId: string;
    kind: string;
    step: string | undefined;
  };
  'deploy:rules': { environment: string; verdicts: Verdict[] };
  'deploy:plan': {
    operationId: string;
    environment: string;
    commit: string;
    strategy: string;
    steps: number[];
    watchMs: number;
    times: DetectionTimes;
  };
  'step:started': { operationId: string; step: string; elapsedMs: number };
  'step:finished': { operationId: string; step: string; elapsedMs: number; detail?: string; ok: boolean };
  'analysis:sample': {
    operationId: string;
    step: string;
    revision: string;
    elapsedMs: number;
    requests: number;
    errorRate: number;
    p95Ms: number;
    verdict: SampleVerdict['kind'];
    consecutiveBreaches: number;
  };
  'analysis:probes': { operationId: string; revision: string; sent: number; failed: number };
  'deploy:breach': { operationId: string; environment: string; revision: string; breaches: Breach[] };
  'traffic:switched': { operationId: string; environment: string; traffic: TrafficTarget[]; reason: string };
  'deploy:rolled-back': {
    operationId: string;
    environment: string;
    failedRevision: string;
    restoredTraffic: TrafficTarget[];
    reason: string;
  };
  'deploy:verified': {
    operationId: string;
    environment: string;
    revision: string;
    digest: string;
    commit: string;
    tag?: string;
  };
  'operation:finished': {
    operationId: string;
    environment: string;
    kind: OperationKind;
    outcome: 'success' | 'rolled-back' | 'aborted' | 'failed' | 'refused';
    elapsedMs: number;
    message: string;
    /** Audit action when it is not the kind itself (maintenance.on). */
    action?: string;
    target?: string;
    reason?: string;
  };
}

export type DeployEventName = keyof DeployEventMap;
export type DeployListener<K extends DeployEventName> = (payload: DeployEventMap[K]) => void;

/** A small typed emitter. Listener errors are isolated so a renderer cannot break a rollback. */
export class DeployEvents {
  readonly #listeners = new Map<DeployEventName, Set<(payload: never) => void>>();
  readonly #any = new Set<(name: DeployEventName, payload: unknown) => void>();

  on<K extends DeployEventName>(name: K, listener: DeployListener<K>): () => void {
    const set = this.#listeners.get(name) ?? new Set();
    set.add(listener as (payload: never) => void);
    this.#listeners.set(name, set);
    return () => set.delete(listener as (payload: never) => void);
  }

  onAny(listener: (name: DeployEventName, payload: unknown) => void): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  emit<K extends DeployEventName>(name: K, payload: DeployEventMap[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        (listener as DeployListener<K>)(payload);
      } catch {
        // a failing listener must not stop the pipeline
      }
    }
    for (const listener of this.#any) {
      try {
        listener(name, payload);
      } catch {
        // same
      }
    }
  }
}
