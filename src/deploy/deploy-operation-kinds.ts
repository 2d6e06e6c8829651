import type { OperationKindSpec } from '../operations/index.js';
import type { TrafficTarget } from '../platform/index.js';
import type { Breach } from './analyze-sample.js';
import type { DeployStrategy } from './plan-canary-steps.js';
import type { AnalysisOutcome as AnalysisResult } from './run-analysis.js';

/** What a deploy journals as its parameters; enough to resume it in another process. */
export interface DeployParams {
  commit: string;
  digest: string;
  note?: string;
  strategy: DeployStrategy;
  steps: number[];
  watchMs: number;
  hotfix?: { reason: string };
  /** The revision traffic returns to on a breach (the last known-good, kept warm). */
  stableRevision?: string;
  /** Pinned secret versions for the new revision (names of the vault, never admin credentials). */
  secrets?: Record<string, { version: number; envVar: string }>;
  /** The traffic the deploy found: what abort restores exactly. */
  trafficBefore: TrafficTarget[];
  overrides?: { rule: string; reason: string | undefined }[];
  /** The release's own files (the local artifact): the smoke test runs there, so it is the release's own. */
  releaseDir?: string;
  /** The E2E suite this environment runs against the new revision (tests.e2e); its pass is part of the verification. */
  e2e?: { name: string; command: string; timeout: number };
  /** The checklist's test suites as this deploy's rules judged them (seed §9's unit and integration tiers). */
  tests?: DeployTestsRecord;
}

/** The `tests-pass` verdict of a deploy, kept with it so `status` can say which suites a verification rests on. */
export interface DeployTestsRecord {
  /** The rule's verdict: pass, fail, overridden (with its reason), warn or skipped (rule off). */
  verdict: string;
  overrideReason?: string;
  /** The checkout the suites ran in (tracked and untracked files). */
  treeHash?: string;
  suites: { name: string; status: 'pass' | 'fail'; cached: boolean }[];
}

/** Why a deploy is being compensated; journaled so a resumed deploy only finishes the compensation. */
export interface DeployFailing {
  where: string;
  reason: 'breach' | 'insufficient-data';
  breaches: Breach[];
  heldMs?: number;
}

export interface DeployState {
  revision?: string;
  url?: string;
  failing?: DeployFailing;
}

export interface SmokeOutcome {
  summary: string;
  skipped?: boolean;
  durationMs?: number;
}

export interface DeploySteps {
  'warm-stable': { revision: string };
  'create-revision': { revision: string; url: string };
  'wait-ready': { state: string };
  smoke: SmokeOutcome;
  e2e: SmokeOutcome & { suite: string };
  [step: `traffic-${number}`]: { traffic: TrafficTarget[] };
  [step: `analyze-${number}`]: { outcome: AnalysisResult };
  watch: { outcome: AnalysisResult };
  verify: { tag?: string };
  retire: {
    stopped: string[];
    kept: string[];
    forgotten: string[];
    /** Built releases no revision needs, removed after retiring. */
    pruned?: { commits: string[]; bytes: number };
  };
  rollback: { traffic: TrafficTarget[] };
}

export interface RollbackParams {
  to: string;
  /** `--to` is navigation and judges nothing; an automatic pick marks what served as rolled back. */
  explicit: boolean;
  reason?: string;
  trafficBefore: TrafficTarget[];
}

export interface RollbackSteps {
  'start-target': { state: string };
  'wait-ready': { revision: string };
  switch: { traffic: TrafficTarget[] };
}

export interface MaintenanceParams {
  on: boolean;
  message?: string;
  until?: string;
  /** Whether maintenance was on when the operation started: what abort returns to. */
  wasOn: boolean;
  trafficBefore: TrafficTarget[];
}

export interface MaintenanceSteps {
  'set-maintenance': { traffic: TrafficTarget[]; maintenance: boolean };
}

declare module '../operations/operation-record.js' {
  interface OperationKindMap {
    deploy: OperationKindSpec<DeployParams, DeployState, DeploySteps>;
    rollback: OperationKindSpec<RollbackParams, Record<string, never>, RollbackSteps>;
    maintenance: OperationKindSpec<MaintenanceParams, Record<string, never>, MaintenanceSteps>;
  }
}
