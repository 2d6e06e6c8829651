import type { OperationStore } from '../operations/index.js';
import type { ReleaseRecord, ServiceStatus } from '../platform/index.js';
import type { DeployParams, DeployTestsRecord } from './deploy-operation-kinds.js';
import type { DeployStore, RevisionVerdictKind, VerificationRecord } from './deploy-store.js';

/** One environment's verification of a release, and whether it still counts. */
export interface ReleaseVerificationStatus {
  environment: string;
  at: string;
  checks: string[];
  /** False when a later failure of the release (anywhere) revoked it. */
  standing: boolean;
  /** The checklist's suites as the verifying deploy judged them; absent when that deploy did not record them. */
  tests?: DeployTestsRecord;
}

/** The newest run of the E2E suite (tests.e2e) against a revision of the release on one environment. */
export interface ReleaseE2eStatus {
  environment: string;
  suite: string;
  passed: boolean;
  /** When the suite finished. */
  at: string;
  revision: string | undefined;
  /** Why it failed (first line), when it did. */
  message?: string;
}

/** A failure of the release where it ran: failed (before or during its canary) or rolled back. */
export interface ReleaseFailureStatus {
  environment: string;
  verdict: Extract<RevisionVerdictKind, 'failed' | 'rolled-back'>;
  at: string;
  revision: string;
}

/** A release running on an environment: its identity, what its digest leaves out, and what verified it. */
export interface ReleaseStatus {
  commit: string;
  digest: string;
  /** This environment's revisions of the release among those listed. */
  revisions: string[];
  /** Traffic percent the release has on this environment. */
  percent: number;
  /**
   * Paths of the artifact its digest does not cover, from the release record (`[]`: nothing excluded);
   * null when this machine has no record of the release (never built here, or its artifact was removed).
   */
  excluded: string[] | null;
  builtAt: string | undefined;
  verifications: ReleaseVerificationStatus[];
  e2e: ReleaseE2eStatus[];
  failedOn: ReleaseFailureStatus[];
}

export type DeployServiceStatus = ServiceStatus & { releases: ReleaseStatus[] };

export interface ReadReleaseStatusDeps {
  store: DeployStore;
  ops: Pick<OperationStore, 'get' | 'readJournal'>;
  /** The release record of a commit built before (readReleaseRecord over the artifacts folder). */
  readRecord(commit: string): Promise<ReleaseRecord | undefined>;
}

/**
 * Adds to each environment of `prodguard status` the releases its listed revisions run, serving ones first:
 * digest, what the digest leaves out (from the release record), verifications on every environment with the
 * suites and E2E run they rest on, and the environments the release failed on.
 */
export async function readReleaseStatus(
  services: readonly ServiceStatus[],
  deps: ReadReleaseStatusDeps,
): Promise<DeployServiceStatus[]> {
  return Promise.all(
    services.map(async (service) => {
      const byDigest = new Map<string, { commit: string; revisions: string[]; percent: number }>();
      for (const revision of service.revisions) {
        if (!revision.digest) continue;
        const entry = byDigest.get(revision.digest) ?? { commit: revision.commit, revisions: [], percent: 0 };
        entry.revisions.push(revision.name);
        entry.percent += revision.percent;
        byDigest.set(revision.digest, entry);
      }
      const releases = await Promise.all(
        [...byDigest].map(([digest, entry]) => describeRelease(digest, entry, deps)),
      );
      // Serving releases first (most traffic first); the rest keep the revisions' order (newest first).
      const order = [...releases].sort((a, b) => b.percent - a.percent);
      return { ...service, releases: order };
    }),
  );
}

async function describeRelease(
  digest: string,
  entry: { commit: string; revisions: string[]; percent: number },
  deps: ReadReleaseStatusDeps,
): Promise<ReleaseStatus> {
  const record = await deps.readRecord(entry.commit).catch(() => undefined);
  const failures = deps.store.releaseFailures(digest);
  const latestFailure = failures[0];
  const verified = deps.store.releaseVerifications(digest);
  const verifications = verified.map((v) => ({
    environment: v.environment,
    at: v.at,
    checks: v.checks,
    standing: !latestFailure || latestFailure.at < v.at,
    ...testsOf(v, deps),
  }));
  // The E2E suite runs inside a deploy: its verifying deploys and its failed ones hold the newest runs.
  const operationIds = new Set(
    [...verified.map((v) => v.operationId), ...failures.map((f) => f.operationId)].filter(
      (id): id is string => id !== undefined,
    ),
  );
  const e2eRuns = [...operationIds].flatMap((id) => e2eRunOf(id, deps) ?? []);
  const newestPerEnvironment = new Map<string, ReleaseE2eStatus>();
  for (const run of e2eRuns.sort((a, b) => (a.at < b.at ? 1 : -1))) {
    if (!newestPerEnvironment.has(run.environment)) newestPerEnvironment.set(run.environment, run);
  }
  const failedOn = new Map<string, ReleaseFailureStatus>();
  for (const f of failures) {
    if (failedOn.has(f.environment)) continue;
    failedOn.set(f.environment, {
      environment: f.environment,
      verdict: f.verdict === 'rolled-back' ? 'rolled-back' : 'failed',
      at: f.at,
      revision: f.revision,
    });
  }
  return {
    commit: entry.commit,
    digest,
    revisions: entry.revisions,
    percent: entry.percent,
    excluded: record && record.digest === digest ? [...record.excluded] : null,
    builtAt: record && record.digest === digest ? record.builtAt : undefined,
    verifications,
    e2e: [...newestPerEnvironment.values()].sort((a, b) => a.environment.localeCompare(b.environment)),
    failedOn: [...failedOn.values()],
  };
}

function testsOf(v: VerificationRecord, deps: ReadReleaseStatusDeps): { tests?: DeployTestsRecord } {
  if (!v.operationId) return {};
  const params = deps.ops.get(v.operationId, 'deploy')?.params as DeployParams | undefined;
  return params?.tests ? { tests: params.tests } : {};
}

/** The E2E step of one deploy, when it ran to an end. */
function e2eRunOf(operationId: string, deps: ReadReleaseStatusDeps): ReleaseE2eStatus | undefined {
  const op = deps.ops.get(operationId, 'deploy');
  const suite = (op?.params as DeployParams | undefined)?.e2e?.name;
  if (!op || !suite) return undefined;
  const end = deps.ops
    .readJournal(operationId)
    .filter((e) => e.step === 'e2e' && e.phase !== 'started')
    .at(-1);
  if (!end) return undefined;
  const message = (end.data as { message?: unknown } | undefined)?.message;
  return {
    environment: op.environment,
    suite,
    passed: end.phase === 'succeeded',
    at: end.at,
    revision: (op.state as { revision?: string }).revision,
    ...(end.phase === 'failed' && typeof message === 'string'
      ? { message: message.split('\n')[0]!.replace(/:\s*$/, '') }
      : {}),
  };
}
