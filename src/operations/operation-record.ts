import type { AuditEventInput, AuditOutcome } from '../audit/index.js';

/**
 * Every multi-step action prodguard takes. Each domain describes its kinds by merging into
 * `OperationKindMap` (params, state and the typed map of its steps), so the kernel stays generic and
 * call sites read journaled data without casts.
 */
export const OPERATION_KINDS = [
  'deploy',
  'rollback',
  'maintenance',
  'secrets-rotation',
  'migrate-deploy',
  'migrate-rollback',
  'db-restore',
  'migrate-tool',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** What one kind journals. Domains add their entries by declaration merging. */
export interface OperationKindSpec<P, S, Steps> {
  params: P;
  state: S;
  steps: Steps;
}

// biome-ignore lint/suspicious/noEmptyInterface: filled in by each domain through declaration merging
export interface OperationKindMap {}

type Spec<K extends OperationKind> = K extends keyof OperationKindMap
  ? OperationKindMap[K]
  : OperationKindSpec<object, object, object>;
export type ParamsOf<K extends OperationKind> = Spec<K>['params'];
export type StateOf<K extends OperationKind> = Spec<K>['state'];
export type StepsOf<K extends OperationKind> = Spec<K>['steps'];

export type OperationStatus = 'running' | 'succeeded' | 'failed' | 'rolled-back' | 'aborted';
export type FinishedStatus = Exclude<OperationStatus, 'running'>;

export interface OperationRecord<K extends OperationKind = OperationKind> {
  readonly id: string;
  readonly kind: K;
  readonly environment: string;
  status: OperationStatus;
  readonly actor: string;
  /** The operation that started this one (a rotation's rollout is a deploy whose parent is the rotation). */
  readonly parentId: string | undefined;
  /** What the operation acts on, for listings: a commit, a secret name, a migration. */
  readonly subject: string | undefined;
  /** The audit action its intent was recorded under; its outcome uses the same. */
  readonly auditAction: AuditEventInput['action'];
  readonly params: ParamsOf<K>;
  state: StateOf<K>;
  readonly startedAt: string;
  updatedAt: string;
  finishedAt: string | undefined;
  error: string | undefined;
}

/** One step result type for every kind: what renderers, `--json` and `operations` show. */
export type StepStatus = 'Success' | 'Error' | 'NotExecuted' | 'Skipped';

export interface StepResult {
  name: string;
  status: StepStatus;
  /** Time since the operation (or its resumption) started, when the step ended. */
  elapsedMs?: number;
  detail?: string;
}

export type StepPhase = 'started' | 'succeeded' | 'failed';

export interface StepEntry {
  step: string;
  phase: StepPhase;
  at: string;
  /** What the step learnt (succeeded), or `{ message }` (failed); typed by the kind's step map on read. */
  data: unknown;
}

/** The audit outcome each final status is recorded with. */
export const AUDIT_OUTCOME_OF: Record<FinishedStatus, AuditOutcome> = {
  succeeded: 'success',
  failed: 'failed',
  'rolled-back': 'rolled-back',
  // An abort restores what the operation found: for the trail, that is a rollback.
  aborted: 'rolled-back',
};
