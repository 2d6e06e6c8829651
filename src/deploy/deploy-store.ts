import type { Clock } from '../kernel/clock.js';
import type { StateStore } from '../store/index.js';
import type { Breach } from './analyze-sample.js';

export type RevisionVerdictKind = 'known-good' | 'failed' | 'rolled-back' | 'retired';

export interface RevisionVerdictRecord {
  environment: string;
  revision: string;
  verdict: RevisionVerdictKind;
  digest: string;
  commit: string;
  operationId: string | undefined;
  at: string;
  details: Record<string, unknown>;
}

export interface VerificationRecord {
  environment: string;
  digest: string;
  commit: string;
  revision: string;
  checks: string[];
  windowMs: number;
  at: string;
  actor: string;
  operationId: string | undefined;
}

interface VerdictRow {
  environment: string;
  revision: string;
  verdict: string;
  digest: string;
  commit_sha: string;
  operation_id: string | null;
  at: string;
  details: string;
}

/** A failure judges the release; an abort (Ctrl-C, abort after a crash) is the operator's choice and does not. */
const judgesRelease = (verdict: RevisionVerdictKind, details: Record<string, unknown>) =>
  (verdict === 'failed' || verdict === 'rolled-back') && details.aborted !== true;

function toVerdict(r: VerdictRow): RevisionVerdictRecord {
  return {
    environment: r.environment,
    revision: r.revision,
    verdict: r.verdict as RevisionVerdictKind,
    digest: r.digest,
    commit: r.commit_sha,
    operationId: r.operation_id ?? undefined,
    at: r.at,
    details: JSON.parse(r.details) as Record<string, unknown>,
  };
}

/**
 * The deploy domain's tables: revision verdicts, verification records, breaches, and rows in the core
 * release_marks table. Operations and their journal belong to the kernel (src/operations).
 */
export class DeployStore {
  readonly #store: StateStore;
  readonly #clock: Clock;

  constructor(store: StateStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  get stateStore(): StateStore {
    return this.#store;
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }

  /**
   * Records a revision's verdict. A failure (failed, rolled-back) judges the release, not only the revision:
   * in the same transaction every other revision of that digest still marked known-good, on any environment,
   * is marked failed too, so no environment keeps it as a rollback target or as proof for promotion.
   */
  recordVerdict(input: Omit<RevisionVerdictRecord, 'at'>): void {
    const at = this.#now();
    const insert = this.#store.db.prepare(
      'INSERT INTO revision_verdicts(environment, revision, verdict, digest, commit_sha, operation_id, at, details) VALUES (?,?,?,?,?,?,?,?)',
    );
    this.#store.db.transaction(() => {
      insert.run(
        input.environment,
        input.revision,
        input.verdict,
        input.digest,
        input.commit,
        input.operationId ?? null,
        at,
        JSON.stringify(input.details),
      );
      if (!judgesRelease(input.verdict, input.details) || !input.digest) return;
      const environments = this.#store.db
        .prepare<[string], { environment: string }>(
          'SELECT DISTINCT environment FROM revision_verdicts WHERE digest = ?',
        )
        .all(input.digest);
      for (const { environment } of environments) {
        for (const v of this.latestVerdicts(environment)) {
          if (v.digest !== input.digest || v.verdict !== 'known-good') continue;
          if (v.environment === input.environment && v.revision === input.revision) continue;
          insert.run(
            v.environment,
            v.revision,
            'failed',
            v.digest,
            v.commit,
            input.operationId ?? null,
            at,
            JSON.stringify({
              releaseFailedOn: input.environment,
              revision: input.revision,
              verdict: input.verdict,
            }),
          );
        }
      }
    })();
  }

  /** The newest failure (failed or rolled-back) of a release on any environment where it ran and failed. */
  latestFailure(digest: string): RevisionVerdictRecord | undefined {
    const row = this.#store.db
      .prepare<[string], VerdictRow>(
        `SELECT * FROM revision_verdicts WHERE digest = ? AND verdict IN ('failed', 'rolled-back')
           AND json_extract(details, '$.releaseFailedOn') IS NULL
           AND COALESCE(json_extract(details, '$.aborted'), 0) = 0 ORDER BY id DESC LIMIT 1`,
      )
      .get(digest);
    return row ? toVerdict(row) : undefined;
  }

  /**
   * The newest verification of a release on an environment that still counts: made after the release's
   * latest failure anywhere. A failure revokes every earlier verification.
   */
  standingVerification(
    environment: string,
    digest: string,
  ): { verification: VerificationRecord | undefined; revokedBy: RevisionVerdictRecord | undefined } {
    const verification = this.latestVerification(environment, digest);
    const failure = this.latestFailure(digest);
    if (verification && failure && failure.at >= verification.at) {
      return { verification: undefined, revokedBy: failure };
    }
    return { verification, revokedBy: undefined };
  }

  /**
   * Whether some release of a commit (any digest) has a standing verification on an environment that
   * includes every one of `requiredChecks` (e.g. `e2e:<suite>`).
   */
  commitVerified(environment: string, commit: string, requiredChecks: readonly string[] = []): boolean {
    const digests = this.#store.db
      .prepare<[string, string], { digest: string }>(
        'SELECT DISTINCT digest FROM verifications WHERE environment = ? AND commit_sha = ?',
      )
      .all(environment, commit);
    return digests.some((d) => {
      const { verification } = this.standingVerification(environment, d.digest);
      return verification !== undefined && requiredChecks.every((c) => verification.checks.includes(c));
    });
  }

  /** Environments on which a release was verified, each with whether a later failure revoked it. */
  releaseStanding(digest: string): { environment: string; verifiedAt: string; failed: boolean }[] {
    const rows = this.#store.db
      .prepare<[string], { environment: string; at: string }>(
        'SELECT environment, MAX(at) AS at FROM verifications WHERE digest = ? GROUP BY environment ORDER BY environment',
      )
      .all(digest);
    const failure = this.latestFailure(digest);
    return rows.map((r) => ({
      environment: r.environment,
      verifiedAt: r.at,
      failed: failure !== undefined && failure.at >= r.at,
    }));
  }

  /**
   * Every failure (failed or rolled-back) of a release where it ran, newest first: the environments the
   * release failed on. Aborts are the operator's choice and do not count; neither do the `failed` marks a
   * failure elsewhere puts on the release's other revisions (they name `releaseFailedOn`).
   */
  releaseFailures(digest: string): RevisionVerdictRecord[] {
    return this.#store.db
      .prepare<[string], VerdictRow>(
        `SELECT * FROM revision_verdicts WHERE digest = ? AND verdict IN ('failed', 'rolled-back')
           AND json_extract(details, '$.releaseFailedOn') IS NULL
           AND COALESCE(json_extract(details, '$.aborted'), 0) = 0 ORDER BY id DESC`,
      )
      .all(digest)
      .map(toVerdict);
  }

  /** The newest verification of a release on each environment it was verified on, by environment name. */
  releaseVerifications(digest: string): VerificationRecord[] {
    const environments = this.#store.db
      .prepare<[string], { environment: string }>(
        'SELECT DISTINCT environment FROM verifications WHERE digest = ? ORDER BY environment',
      )
      .all(digest);
    return environments.flatMap((e) => this.latestVerification(e.environment, digest) ?? []);
  }

  /** The latest verdict of every revision of an environment, newest first. */
  latestVerdicts(environment: string): RevisionVerdictRecord[] {
    return this.#store.db
      .prepare<
        [string],
        {
          environment: string;
          revision: string;
          verdict: string;
          digest: string;
          commit_sha: string;
          operation_id: string | null;
          at: string;
          details: string;
        }
      >(
        `SELECT v.* FROM revision_verdicts v
         JOIN (SELECT revision, MAX(id) AS id FROM revision_verdicts WHERE environment = ? GROUP BY revision) last
           ON last.id = v.id
         ORDER BY v.id DESC`,
      )
      .all(environment)
      .map(toVerdict);
  }

  /** The newest revision whose latest verdict is known-good, skipping `except`. */
  lastKnownGood(environment: string, except?: string): RevisionVerdictRecord | undefined {
    return this.latestVerdicts(environment).find((v) => v.verdict === 'known-good' && v.revision !== except);
  }

  recordVerification(input: Omit<VerificationRecord, 'at'>): VerificationRecord {
    const at = this.#now();
    this.#store.db
      .prepare(
        'INSERT INTO verifications(environment, digest, commit_sha, revision, checks, window_ms, at, actor, operation_id) VALUES (?,?,?,?,?,?,?,?,?)',
      )
      .run(
        input.environment,
        input.digest,
        input.commit,
        input.revision,
        JSON.stringify(input.checks),
        input.windowMs,
        at,
        input.actor,
        input.operationId ?? null,
      );
    return { ...input, at };
  }

  latestVerification(environment: string, digest: string): VerificationRecord | undefined {
    const row = this.#store.db
      .prepare<
        [string, string],
        {
          environment: string;
          digest: string;
          commit_sha: string;
          revision: string;
          checks: string;
          window_ms: number;
          at: string;
          actor: string;
          operation_id: string | null;
        }
      >('SELECT * FROM verifications WHERE environment = ? AND digest = ? ORDER BY id DESC LIMIT 1')
      .get(environment, digest);
    if (!row) return undefined;
    return {
      environment: row.environment,
      digest: row.digest,
      commit: row.commit_sha,
      revision: row.revision,
      checks: JSON.parse(row.checks) as string[],
      windowMs: row.window_ms,
      at: row.at,
      actor: row.actor,
      operationId: row.operation_id ?? undefined,
    };
  }

  recordBreach(operationId: string, environment: string, revision: string, breach: Breach): void {
    this.#store.db
      .prepare(
        'INSERT INTO breaches(operation_id, environment, revision, metric, value, threshold, window_ms, at) VALUES (?,?,?,?,?,?,?,?)',
      )
      .run(
        operationId,
        environment,
        revision,
        breach.metric,
        breach.value,
        breach.threshold,
        breach.windowMs,
        this.#now(),
      );
  }

  readBreaches(operationId: string): Breach[] {
    return this.#store.db
      .prepare<[string], Breach>(
        'SELECT metric, value, threshold, window_ms AS windowMs FROM breaches WHERE operation_id = ? ORDER BY id',
      )
      .all(operationId);
  }

  /** A row in the core release_marks table: what shipped to an environment, under which tag. */
  recordReleaseMark(environment: string, commit: string, tag: string | undefined): void {
    this.#store.db
      .prepare('INSERT INTO release_marks(environment, commit_sha, tag, at) VALUES (?,?,?,?)')
      .run(environment, commit, tag ?? null, this.#now());
  }
}
