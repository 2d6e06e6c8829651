/** The Cloud Run Admin API v2 JSON prodguard reads and writes (REST reference spelling). */

export type RunConditionState =
  | 'STATE_UNSPECIFIED'
  | 'CONDITION_PENDING'
  | 'CONDITION_RECONCILING'
  | 'CONDITION_FAILED'
  | 'CONDITION_SUCCEEDED';

export interface RunCondition {
  type: string;
  state: RunConditionState;
  message?: string;
  reason?: string;
  revisionReason?: string;
  severity?: string;
  lastTransitionTime?: string;
}

export type RunTrafficType =
  | 'TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED'
  | 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST'
  | 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

export interface RunTrafficTarget {
  type?: RunTrafficType;
  /** Short revision name (`api-00004-abc`), not the resource path. */
  revision?: string;
  percent?: number;
  tag?: string;
}

export interface RunTrafficStatus extends RunTrafficTarget {
  uri?: string;
}

export interface RunEnvVar {
  name: string;
  value?: string;
  valueSource?: { secretKeyRef: { secret: string; version: string } };
}

export interface RunContainer {
  image: string;
  env?: RunEnvVar[];
  [key: string]: unknown;
}

export interface RunRevisionTemplate {
  revision?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers: RunContainer[];
  serviceAccount?: string;
  [key: string]: unknown;
}

export interface RunService {
  name: string;
  generation?: string;
  observedGeneration?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  template: RunRevisionTemplate;
  traffic?: RunTrafficTarget[];
  trafficStatuses?: RunTrafficStatus[];
  terminalCondition?: RunCondition;
  conditions?: RunCondition[];
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  uri?: string;
  reconciling?: boolean;
  etag?: string;
}

export interface RunRevision {
  name: string;
  createTime?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers?: RunContainer[];
  conditions?: RunCondition[];
  reconciling?: boolean;
  service?: string;
}

export const TRAFFIC_REVISION: RunTrafficType = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
export const TRAFFIC_LATEST: RunTrafficType = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';

export function shortRevisionName(name: string): string {
  return name.split('/').pop() ?? name;
}
