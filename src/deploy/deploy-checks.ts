import { differentRuntime } from '../config/runtime-fingerprint.js';
import type { Clock } from '../kernel/clock.js';
import { formatDuration } from '../kernel/duration.js';
import type { Platform, ReleaseRef } from '../platform/index.js';
import type { CheckOutcome, RuleCheck } from '../rules/index.js';
import type { StateStore } from '../store/index.js';
import type { AnalysisSettings } from './deploy-settings.js';
import type { DeployStore } from './deploy-store.js';
import { readEnvironmentHealth } from './read-environment-health.js';

/** What the deploy's own rule checks look at. */
export interface DeployCheckContext {
  environment: string;
  /** environments.<env>.requires */
  requires: string | undefined;
  release: ReleaseRef;
  platform: Platform;
  store: DeployStore;
  clock: Clock;
  verificationMaxAgeMs: number;
  /** Thresholds of the required environment, to judge its health now. */
  requiredSettings: AnalysisSettings | undefined;
  hotfix: { reason: string } | undefined;
  /** Checks the verification on `requires` must include (`e2e:<suite>` when that environment runs tests.e2e). */
  requiredChecks?: readonly string[];
  /** How the release runs now (runtimeCheckName of app.start, build, healthPath, env): verified the same way. */
  runtimeCheck?: string;
}

/** A check from another domain (preflight), already bound to its own context. */
export interface BoundRuleCheck {
  readonly ruleId: string;
  /** `expensive` (a test suite) runs only after the cheap rules passed and the release is built. */
  readonly cost?: 'cheap' | 'expensive';
  run(): Promise<CheckOutcome>;
}

/**
 * The port through which other domains add checks to the deploy action. The preflight checklist plugs
 * in here (`preflightChecks`), so `--override <rule> --reason` works for every rule in one evaluation.
 */
export interface DeployChecks {
  checksFor(input: {
    environment: string;
    release: ReleaseRef;
    note?: string;
  }): Promise<readonly BoundRuleCheck[]>;
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** Golden rule 2 (seed §2): the same digest verified, recently, on the required environment, which is healthy now. */
export const stagingFirstCheck: RuleCheck<DeployCheckContext> = {
  ruleId: 'staging-first',
  async run(ctx): Promise<CheckOutcome> {
    if (!ctx.requires) return { status: 'pass', message: `${ctx.environment} requires no other environment` };
    if (!ctx.release.digest) return commitVerifiedBeforeBuild(ctx, ctx.requires);
    const digest = short(ctx.release.digest);
    const how = `Deploy this exact release to ${ctx.requires} first: prodguard deploy ${ctx.requires} --commit ${ctx.release.commit.slice(0, 12)} (it is verified when its watch passes), or --override staging-first --reason "<why>".`;
    const { verification, revokedBy } = ctx.store.standingVerification(ctx.requires, ctx.release.digest);
    const details = { digest: ctx.release.digest, commit: ctx.release.commit, requires: ctx.requires };
    if (revokedBy) {
      return {
        status: 'fail',
        message: `release ${digest} (commit ${ctx.release.commit.slice(0, 7)}) ${revokedBy.verdict === 'rolled-back' ? 'was rolled back' : 'failed'} on ${revokedBy.environment} at ${revokedBy.at} (${revokedBy.revision}); that revokes its verification on ${ctx.requires}`,
        hint: `A release that failed anywhere needs a new verification on ${ctx.requires} made after the failure: fix it and deploy a new commit to ${ctx.requires}, or redeploy this one there (prodguard deploy ${ctx.requires} --commit ${ctx.release.commit.slice(0, 12)}) and let its watch pass.`,
        details: {
          ...details,
          failedOn: revokedBy.environment,
          failedAt: revokedBy.at,
          failedRevision: revokedBy.revision,
        },
      };
    }
    if (!verification) {
      return {
        status: 'fail',
        message: `release ${digest} (commit ${ctx.release.commit.slice(0, 7)}) has no verification on ${ctx.requires}`,
        hint: how,
        details,
      };
    }
    const missing = (ctx.requiredChecks ?? []).filter((c) => !verification.checks.includes(c));
    if (missing.length > 0) {
      const suites = missing.map((c) => c.replace(/^e2e:/, '')).join(', ');
      return {
        status: 'fail',
        message: `release ${digest} (commit ${ctx.release.commit.slice(0, 7)}) was verified on ${ctx.requires} without the E2E suite ${suites} (its checks: ${verification.checks.join(', ') || 'none'})`,
        hint: `Production needs the E2E pass on ${ctx.requires} for this exact release: redeploy it there (prodguard deploy ${ctx.requires} --commit ${ctx.release.commit.slice(0, 12)}) so the suite runs against it, or --override staging-first --reason "<why>".`,
        details: { ...details, missingChecks: missing, verifiedChecks: verification.checks },
      };
    }
    const otherRuntime = ctx.runtimeCheck
      ? differentRuntime(verification.checks, ctx.runtimeCheck)
      : undefined;
    if (otherRuntime) {
      return {
        status: 'fail',
        message: `release ${digest} (commit ${ctx.release.commit.slice(0, 7)}) was verified on ${ctx.requires} with another app.start, app.build, app.healthPath or app.env than the configuration has now (${otherRuntime}, now ${ctx.runtimeCheck})`,
        hint: `The same bytes started another way are not what ${ctx.requires} verified: deploy it to ${ctx.requires} again with this configuration (prodguard deploy ${ctx.requires} --commit ${ctx.release.commit.slice(0, 12)}), or --override staging-first --reason "<why>".`,
        details: { ...details, verifiedRuntime: otherRuntime, runtime: ctx.runtimeCheck },
      };
    }
    const ageMs = ctx.clock.nowMs() - new Date(verification.at).getTime();
    if (ageMs > ctx.verificationMaxAgeMs) {
      return {
        status: 'fail',
        message: `release ${digest} was verified on ${ctx.requires} ${formatDuration(ageMs)} ago, longer than deploy.verificationMaxAge (${formatDuration(ctx.verificationMaxAgeMs)})`,
        hint: how,
        details: { ...details, verifiedAt: verification.at },
      };
    }
    if (ctx.requiredSettings) {
      const health = await readEnvironmentHealth(ctx.platform, ctx.requires, ctx.requiredSettings);
      if (!health.healthy) {
        return {
          status: 'fail',
          message: `release ${digest} is verified on ${ctx.requires}, but ${ctx.requires} is not healthy now: ${health.problems.join('; ')}`,
          hint: `Fix ${ctx.requires} first (prodguard status ${ctx.requires}); a broken ${ctx.requires} proves nothing about this release.`,
          details: { ...details, problems: health.problems },
        };
      }
    }
    return {
      status: 'pass',
      message: `release ${digest} verified on ${ctx.requires} ${formatDuration(Math.max(0, ageMs))} ago by ${verification.actor}`,
      details: { ...details, verifiedAt: verification.at, verifiedRevision: verification.revision },
    };
  },
};

/**
 * Before a build: the commit was never built here, so no digest is known. Some release of the commit must
 * still stand verified on the required environment; otherwise refuse now, before building or testing.
 * The full check runs again on the built digest.
 */
function commitVerifiedBeforeBuild(ctx: DeployCheckContext, requires: string): CheckOutcome {
  const commit = ctx.release.commit;
  const details = { commit, requires, beforeBuild: true };
  const required = ctx.requiredChecks ?? [];
  if (ctx.store.commitVerified(requires, commit, required)) {
    return {
      status: 'pass',
      message: `commit ${commit.slice(0, 7)} has a verified release on ${requires}`,
      details,
    };
  }
  if (required.length > 0 && ctx.store.commitVerified(requires, commit)) {
    const suites = required.map((c) => c.replace(/^e2e:/, '')).join(', ');
    return {
      status: 'fail',
      message: `commit ${commit.slice(0, 7)} was verified on ${requires} without the E2E suite ${suites} (decided before building)`,
      hint: `Production needs the E2E pass on ${requires} for this exact release: redeploy it there (prodguard deploy ${requires} --commit ${commit.slice(0, 12)}) so the suite runs against it, or --override staging-first --reason "<why>".`,
      details: { ...details, missingChecks: required },
    };
  }
  return {
    status: 'fail',
    message: `commit ${commit.slice(0, 7)} has no verified release on ${requires} (decided before building)`,
    hint: `Deploy this exact release to ${requires} first: prodguard deploy ${requires} --commit ${commit.slice(0, 12)} (it is verified when its watch passes), or --override staging-first --reason "<why>".`,
    details,
  };
}

/** Open incidents, read from the incident domain's table when it exists. */
export function readOpenIncidents(store: StateStore, environment: string): { id: string; title: string }[] {
  const columns = store.db
    .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('incidents')")
    .all()
    .map((c) => c.name);
  if (!['id', 'environment', 'status'].every((c) => columns.includes(c))) return [];
  const title = columns.includes('title') ? 'title' : "''";
  // An incident above the freeze level (e.g. SEV-4 with the default SEV-1..3) does not stop deploys.
  const freezing = columns.includes('freezes_deploys') ? ' AND freezes_deploys = 1' : '';
  return store.db
    .prepare<[string], { id: string | number; title: string }>(
      `SELECT id, ${title} AS title FROM incidents WHERE (environment = ? OR environment IS NULL) AND status NOT IN ('resolved', 'closed')${freezing}`,
    )
    .all(environment)
    .map((r) => ({ id: String(r.id), title: r.title }));
}

/** Seed §10: stop making changes while an incident is open; a --hotfix (still staging-verified) may ship the fix. */
export const noOpenIncidentCheck: RuleCheck<DeployCheckContext> = {
  ruleId: 'no-open-incident',
  async run(ctx): Promise<CheckOutcome> {
    const open = readOpenIncidents(ctx.store.stateStore, ctx.environment);
    if (open.length === 0) return { status: 'pass', message: `no open incident on ${ctx.environment}` };
    const list = open.map((i) => `#${i.id} ${i.title}`.trim()).join(', ');
    if (ctx.hotfix) {
      return {
        status: 'pass',
        message: `open incident ${list}; proceeding as a hotfix: ${ctx.hotfix.reason}`,
        details: { incidents: open },
      };
    }
    return {
      status: 'fail',
      message: `incident ${list} is open on ${ctx.environment}`,
      hint: 'Resolve it first, or ship the fix with --hotfix --reason "<why>" (still verified on staging).',
      details: { incidents: open },
    };
  },
};

export const DEPLOY_RULE_CHECKS: readonly RuleCheck<DeployCheckContext>[] = [
  stagingFirstCheck,
  noOpenIncidentCheck,
];
