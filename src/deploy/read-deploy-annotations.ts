import type { DeployStore } from './deploy-store.js';

export interface RevisionAnnotation {
  revision: string;
  verdict: 'known-good' | 'failed' | 'rolled-back' | 'retired';
  /** This revision's release is verified on this environment. */
  verified: boolean;
  digest: string;
  commit: string;
  at: string;
}

export interface EnvironmentAnnotations {
  environment: string;
  /** The newest known-good revision: where `prodguard rollback` goes. */
  knownGood: string | undefined;
  revisions: RevisionAnnotation[];
  /** An operation still marked running (in progress, or interrupted if nobody holds the lock). */
  running: { operationId: string; kind: string; step: string | undefined; startedAt: string } | undefined;
  lastOperation:
    | {
        operationId: string;
        kind: string;
        status: string;
        finishedAt: string | undefined;
        error: string | undefined;
      }
    | undefined;
}

/**
 * Per environment: which revision is known-good, verified or failed, and any operation in flight.
 * `prodguard status` joins this with the platform's view of revisions and traffic.
 */
export function readDeployAnnotations(
  store: DeployStore,
  environments: readonly string[],
): EnvironmentAnnotations[] {
  return environments.map((environment) => {
    const verdicts = store.latestVerdicts(environment);
    const revisions = verdicts.map((v) => ({
      revision: v.revision,
      verdict: v.verdict,
      verified: store.latestVerification(environment, v.digest)?.revision !== undefined,
      digest: v.digest,
      commit: v.commit,
      at: v.at,
    }));
    const running = store.runningOperations(environment)[0];
    const journal = running ? store.readJournal(running.id) : [];
    const last = store.listOperations(environment, 1)[0];
    return {
      environment,
      knownGood: verdicts.find((v) => v.verdict === 'known-good')?.revision,
      revisions,
      running: running
        ? {
            operationId: running.id,
            kind: running.kind,
            step: journal[journal.length - 1]?.step,
            startedAt: running.startedAt,
          }
        : undefined,
      lastOperation: last
        ? {
            operationId: last.id,
            kind: last.kind,
            status: last.status,
            finishedAt: last.finishedAt,
            error: last.error,
          }
        : undefined,
    };
  });
}
