import { TypedEvents } from '../kernel/typed-events.js';
import type { OperationEventMap } from '../operations/index.js';
import type { TrafficTarget } from '../platform/index.js';
import type { Verdict } from '../rules/index.js';
import type { Breach, SampleVerdict } from './analyze-sample.js';
import type { DetectionTimes } from './plan-detection-times.js';

/**
 * Display events of the pipeline, beside the kernel's step events. The CLI renders them (human or
 * NDJSON). The audit trail is written by the operation kernel, never by a listener.
 */
export interface DeployEventMap extends OperationEventMap {
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
}

export type DeployEventName = keyof DeployEventMap;

export class DeployEvents extends TypedEvents<DeployEventMap> {}
