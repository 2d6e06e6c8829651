import { formatAuditAnchor, recordAuditAnchor } from '../audit/index.js';
import { assertEnvironment, e2eCheckName, e2eEnvironments } from '../config/index.js';
import { runtimeCheckName } from '../config/runtime-fingerprint.js';
import { planReleaseTagName, releaseTagCandidates } from '../freeze/index.js';
import { formatDuration } from '../kernel/duration.js';
import { isProdguardError, ProdguardError, UsageError } from '../kernel/errors.js';
import { tailLines } from '../kernel/process-runner.js';
import { redactText } from '../kernel/redact.js';
import {
  endOperation,
  type OperationRecord,
  OperationRunner,
  refuseInterrupted,
  type StepResult,
} from '../operations/index.js';
import type { ReleaseRef, RevisionPlacement, TrafficTarget } from '../platform/index.js';
import {
  evaluateRules,
  isInScope,
  type RuleCheck,
  type RuleEvaluation,
  type RuleOverride,
  type Verdict,
} from '../rules/index.js';
import { isLockHolderLive, LockHeldError, readLockHolders, withEnvironmentLock } from '../store/index.js';
import type { Breach } from './analyze-sample.js';
import { applyTraffic, effectiveTraffic } from './apply-traffic.js';
import { DEPLOY_RULE_CHECKS, type DeployCheckContext } from './deploy-checks.js';
import type {
  DeployFailing,
  DeployParams,
  DeployTestsRecord,
  SmokeOutcome,
} from './deploy-operation-kinds.js';
import { readDeploySettings, resolveAnalysisSettings, resolveStepDuration } from './deploy-settings.js';
import type { DeployPipelineDeps, PipelineConfig, PipelineDeps } from './pipeline-deps.js';
import { type DeployStrategy, planCanarySteps, planStepTraffic } from './plan-canary-steps.js';
import { type DetectionTimes, planDetectionTimes } from './plan-detection-times.js';
import { readEnvironmentHealth } from './read-environment-health.js';
import { runAnalysis } from './run-analysis.js';

export interface DeployRequest {
  environment: string;
  /** Commit-ish; default HEAD. */
  commit?: string;
  note?: string;
  strategy?: DeployStrategy;
  steps?: readonly number[];
  watchMs?: number;
  hotfix?: { reason: string };
  overrides?: readonly RuleOverride[];
  lockWaitMs?: number;
}

export type DeployOutcome = 'success' | 'refused' | 'rolled-back' | 'failed' | 'aborted';

/** The result set of one deploy: every step with its status, whatever the outcome. */
export interface DeployResult {
  operationId: string | undefined;
  environment: string;
  outcome: DeployOutcome;
  message: string;
  release: ReleaseRef | undefined;
  revision: string | undefined;
  verdicts: Verdict[];
  steps: StepResult[];
  breaches: Breach[];
  times: DetectionTimes | undefined;
  tag: string | undefined;
}

const LABEL_OPERATION = 'prodguard.operation';

/**
 * `prodguard deploy <env>`: build, rules (staging-first, preflight), lock, then the journaled steps:
 * new revision at 0 %, ready, smoke, traffic in steps with analysis, watch, verify, retire.
 * A breach switches traffic back to the known-good revision in one move.
 */
export async function runDeploy(
  config: PipelineConfig,
  request: DeployRequest,
  deps: DeployPipelineDeps,
): Promise<DeployResult> {
  assertEnvironment(config, request.environment);
  const settings = readDeploySettings(config);
  const analysis = resolveAnalysisSettings(config, settings, request.environment);
  const steps = planCanarySteps(request.strategy ?? settings.strategy, request.steps ?? settings.steps);
  if (request.hotfix && request.hotfix.reason.trim().length < 3) {
    throw new UsageError('PRODGUARD_DEPLOY_HOTFIX_REASON', '--hotfix needs --reason "<why>".', {
      hint: 'A hotfix skips the incident rule and may roll forward over a failing revision; say why.',
    });
  }
  const env = config.environments[request.environment]!;
  const requires = env.requires;
  const commitish = request.commit ?? 'HEAD';
  const contextFor = (release: ReleaseRef): DeployCheckContext => ({
    environment: request.environment,
    requires,
    release,
    platform: deps.platform,
    store: deps.store,
    clock: deps.clock,
    verificationMaxAgeMs: settings.verificationMaxAge,
    requiredSettings: requires ? resolveAnalysisSettings(config, settings, requires) : undefined,
    hotfix: request.hotfix,
    requiredChecks: requires ? requiredChecksOn(config, requires) : [],
    runtimeCheck: runtimeCheckName(config.app),
  });
  const evaluate = async (release: ReleaseRef, phase: 'cheap' | 'all') => {
    const extra = deps.checks
      ? await deps.checks.checksFor({
          environment: request.environment,
          release,
          ...(request.note ? { note: request.note } : {}),
        })
      : [];
    const bound = phase === 'cheap' ? extra.filter((c) => c.cost !== 'expensive') : extra;
    const checks: RuleCheck<DeployCheckContext>[] = [
      ...DEPLOY_RULE_CHECKS,
      fullWatchCheck(request.watchMs, config.watch),
      ...bound.map((c) => ({ ruleId: c.ruleId, run: () => c.run() })),
    ];
    return evaluateRules({
      config,
      action: 'deploy',
      environment: request.environment,
      checks,
      context: contextFor(release),
      overrides: request.overrides ?? [],
      clock: deps.clock,
      ...(phase === 'cheap' ? { only: checks.map((c) => c.ruleId) } : {}),
    });
  };

  // Cheap refusals first (staging-first, freeze, incident, lock): before a build or a test suite runs.
  const peeked = await deps.builder.peek(commitish);
  const early = await evaluate({ commit: peeked.commit, digest: peeked.digest ?? '' }, 'cheap');
  if (!early.ok)
    return refuseDeploy(
      deps,
      request.environment,
      { commit: peeked.commit, digest: peeked.digest ?? '' },
      early,
    );
  const waitMs = request.lockWaitMs ?? settings.lockWait ?? 0;
  if (waitMs === 0) {
    const holder = readLockHolders(deps.ops.stateStore).find(
      (h) => h.environment === request.environment && isLockHolderLive(h, deps.clock.nowMs()),
    );
    if (holder) throw new LockHeldError(holder, 0);
  }

  const built = await deps.builder.build(commitish, deps.signal);
  const release: ReleaseRef = { commit: built.commit, digest: built.digest };
  const evaluation = await evaluate(release, 'all');
  if (!evaluation.ok) return refuseDeploy(deps, request.environment, release, evaluation);
  deps.events.emit('deploy:rules', { environment: request.environment, verdicts: evaluation.verdicts });

  const times = planDetectionTimes(analysis, settings.switchTimeout);
  return withEnvironmentLock(
    deps.ops.stateStore,
    {
      environment: request.environment,
      operation: `deploy ${release.commit.slice(0, 12)}`,
      owner: deps.actor,
      clock: deps.clock,
      waitMs,
      ...(deps.lockTtlMs ? { ttlMs: deps.lockTtlMs } : {}),
    },
    async (lock) => {
      refuseInterrupted(deps.ops, deps.events, request.environment);
      const service = await deps.platform.getService(request.environment);
      const trafficBefore = effectiveTraffic(service);
      const serving = new Set(trafficBefore.map((t) => t.revision));
      const knownGood = deps.store
        .latestVerdicts(request.environment)
        .find((v) => v.verdict === 'known-good' && serving.has(v.revision));
      const stableRevision =
        knownGood?.revision ?? [...trafficBefore].sort((a, b) => b.percent - a.percent)[0]?.revision;
      if (stableRevision) {
        // Maintenance is a choice, not a failure: deploying behind the 503 page is how a fix gets tested.
        const health = await readEnvironmentHealth(deps.platform, request.environment, analysis, {
          maintenanceIsHealthy: true,
        });
        if (!health.healthy && !request.hotfix) {
          throw new ProdguardError(
            'PRODGUARD_DEPLOY_STABLE_FAILING',
            `${request.environment} is failing now (${health.problems.join('; ')}): a canary could not be judged against it, nor rolled back to it.`,
            {
              kind: 'refused',
              hint: `Roll back (prodguard rollback ${request.environment}), or roll forward with --hotfix --reason "<why>" (the release must still be verified on ${requires ?? 'its required environment'}).`,
              details: { problems: health.problems },
            },
          );
        }
      }
      const params: DeployParams = {
        trafficBefore,
        commit: release.commit,
        digest: release.digest,
        strategy: request.strategy ?? settings.strategy,
        // With nothing serving there is nothing to compare a canary with: the first release goes straight to 100.
        steps: stableRevision ? steps : [100],
        watchMs: request.watchMs ?? config.watch,
        ...(request.note ? { note: redactText(request.note) } : {}),
        ...(request.hotfix ? { hotfix: request.hotfix } : {}),
        ...(stableRevision ? { stableRevision } : {}),
        ...(built.dir ? { releaseDir: built.dir } : {}),
        ...(e2eFor(config, request.environment) ? { e2e: e2eFor(config, request.environment)! } : {}),
        ...testsRecordOf(evaluation.verdicts),
      };
      const pinned = deps.pinnedSecrets?.(request.environment) ?? {};
      if (Object.keys(pinned).length > 0) params.secrets = pinned;
      const overrides = evaluation.overridden.map((v) => ({ rule: v.id, reason: v.overrideReason }));
      for (const v of evaluation.overridden) {
        deps.ops.record({
          actor: deps.actor,
          environment: request.environment,
          action: 'rule.override',
          target: v.id,
          reason: v.overrideReason,
          outcome: 'overridden',
          details: { for: 'deploy', message: v.message, commit: release.commit },
        });
      }
      const { op } = deps.ops.begin({
        kind: 'deploy',
        environment: request.environment,
        actor: deps.actor,
        params: { ...params, ...(overrides.length > 0 ? { overrides } : {}) },
        state: {},
        subject: release.commit,
        audit: {
          action: 'deploy',
          target: release.commit,
          details: { strategy: params.strategy, steps: params.steps, watchMs: params.watchMs },
        },
      });
      deps.events.emit('deploy:plan', {
        operationId: op.id,
        environment: request.environment,
        commit: release.commit,
        strategy: params.strategy,
        steps: params.steps,
        watchMs: params.watchMs,
        times,
      });
      const result = await executeDeploy(
        config,
        op,
        deps,
        new OperationRunner(op, deps.ops, deps.events, lock),
      );
      return { ...result, verdicts: evaluation.verdicts, times };
    },
  );
}

/** The `tests-pass` verdict's suites, kept in the deploy's params (names and outcomes only, no output). */
function testsRecordOf(verdicts: readonly Verdict[]): { tests?: DeployTestsRecord } {
  const verdict = verdicts.find((v) => v.id === 'tests-pass');
  if (!verdict) return {};
  const details = verdict.details ?? {};
  const suites = Array.isArray(details.suites) ? (details.suites as Record<string, unknown>[]) : [];
  return {
    tests: {
      verdict: verdict.status,
      ...(verdict.overrideReason ? { overrideReason: redactText(verdict.overrideReason) } : {}),
      ...(typeof details.treeHash === 'string' ? { treeHash: details.treeHash } : {}),
      suites: suites.map((suite) => ({
        name: String(suite.name),
        status: suite.status === 'pass' ? ('pass' as const) : ('fail' as const),
        cached: suite.cached === true,
      })),
    },
  };
}

/** The E2E suite a deploy to this environment runs (tests.e2e on the environments others require). */
function e2eFor(config: PipelineConfig, environment: string): DeployParams['e2e'] {
  const e2e = config.tests?.e2e;
  if (!e2e || !e2eEnvironments(config).includes(environment)) return undefined;
  return { name: e2e.name, command: e2e.command, timeout: e2e.timeout };
}

/** Checks a verification on `requires` must include before a release is promoted from it: its E2E pass. */
function requiredChecksOn(config: PipelineConfig, requires: string): string[] {
  const e2e = e2eFor(config, requires);
  return e2e ? [e2eCheckName(e2e)] : [];
}

/** `full-watch`: a `--watch` shorter than the configured one is a rule to override with a reason, not a flag. */
function fullWatchCheck(watchMs: number | undefined, configuredMs: number): RuleCheck<DeployCheckContext> {
  return {
    ruleId: 'full-watch',
    run: async () => {
      if (watchMs === undefined || watchMs >= configuredMs) {
        return { status: 'pass', message: `watch ${formatDuration(watchMs ?? configuredMs)}` };
      }
      return {
        status: 'fail',
        message: `--watch ${formatDuration(watchMs)} is shorter than the configured watch (${formatDuration(configuredMs)})`,
        hint: `Drop --watch, or --override full-watch --reason "<why>" (audited).`,
        details: { watchMs, configuredMs },
      };
    },
  };
}

/** A refusal by the rules: recorded (no operation starts), reported with every verdict. */
function refuseDeploy(
  deps: DeployPipelineDeps,
  environment: string,
  release: ReleaseRef,
  evaluation: RuleEvaluation,
): DeployResult {
  deps.events.emit('deploy:rules', { environment, verdicts: evaluation.verdicts });
  const message = `Deploy to ${environment} refused by ${evaluation.blocking.map((v) => v.id).join(', ')}.`;
  deps.ops.record({
    actor: deps.actor,
    environment,
    action: 'deploy',
    target: release.commit,
    outcome: 'refused',
    details: { message, rules: evaluation.blocking.map((v) => ({ id: v.id, message: v.message })) },
  });
  deps.events.emit('operation:finished', {
    operationId: '',
    environment,
    kind: 'deploy',
    outcome: 'refused',
    elapsedMs: 0,
    message,
  });
  return {
    operationId: undefined,
    environment,
    outcome: 'refused',
    message,
    release,
    revision: undefined,
    verdicts: evaluation.verdicts,
    steps: [],
    breaches: [],
    times: undefined,
    tag: undefined,
  };
}

export function plannedDeploySteps(params: { steps: number[]; e2e?: unknown }): string[] {
  const names = ['create-revision', 'wait-ready', 'smoke'];
  if (params.e2e) names.push('e2e');
  for (const p of params.steps) {
    names.push(`traffic-${p}`);
    if (p < 100) names.push(`analyze-${p}`);
  }
  names.push('watch', 'verify', 'retire');
  return names;
}

/** Runs (or continues, on resume) a deploy operation's journaled steps to one of its outcomes. */
export async function executeDeploy(
  config: PipelineConfig,
  op: OperationRecord<'deploy'>,
  deps: PipelineDeps,
  runner: OperationRunner<'deploy'>,
): Promise<DeployResult> {
  const params = op.params;
  const settings = readDeploySettings(config);
  const analysis = resolveAnalysisSettings(config, settings, op.environment);
  const environment = op.environment;
  const readyTimeoutMs = config.app.startupTimeout;
  const release = { commit: params.commit, digest: params.digest };
  const planned = plannedDeploySteps(params);
  const finish = (
    outcome: 'success' | 'aborted' | 'failed',
    message: string,
    extra: Partial<DeployResult> = {},
    error?: string,
  ): DeployResult => {
    endOperation(deps.ops, deps.events, op, outcome === 'success' ? 'succeeded' : outcome, {
      message,
      elapsedMs: runner.elapsed(),
      error,
    });
    return {
      operationId: op.id,
      environment,
      outcome,
      message,
      release,
      revision: op.state.revision,
      verdicts: [],
      steps: runner.results(planned),
      breaches: deps.store.readBreaches(op.id),
      times: undefined,
      tag: undefined,
      ...extra,
    };
  };

  // A deploy that was already failing when it stopped finishes its compensation, nothing else.
  if (op.state.failing) return compensate(config, op, deps, runner, planned, op.state.failing);

  try {
    const stable = params.stableRevision;
    if (stable) {
      // Rollback must be one instant switch: the known-good revision stays warm through the watch.
      const rev = await deps.platform.getRevision(environment, stable);
      if (rev.state !== 'ready' && !runner.isDone('warm-stable')) {
        await runner.step('warm-stable', async () => {
          if (rev.state === 'stopped' || rev.state === 'failed')
            await deps.platform.startRevision(environment, stable);
          await deps.platform.waitReady(environment, stable, readyTimeoutMs, deps.signal);
          return { revision: stable };
        });
      }
    }
    const created = await runner.step(
      'create-revision',
      async () => {
        // Created before a crash but not journaled: the label finds it, so resume never starts a twin.
        const existing = (await deps.platform.listRevisions(environment)).find(
          (r) => r.labels[LABEL_OPERATION] === op.id,
        );
        const revision =
          existing ??
          (await deps.platform.createRevision({
            service: environment,
            release,
            // What the verification records as how the release ran: the agent refuses to run it another way.
            runtime: runtimeCheckName(config.app),
            env: { ...(config.environments[environment]?.platform?.env ?? {}) },
            ...(params.secrets ? { secrets: appSecretsOnly(params.secrets, deps.isAdminSecret) } : {}),
            labels: {
              [LABEL_OPERATION]: op.id,
              ...(params.note ? { 'prodguard.note': redactText(params.note) } : {}),
            },
          }));
        return { revision: revision.name, url: revision.url };
      },
      (d) => d.revision,
    );
    const revision = created.revision;
    deps.ops.updateState(op, { ...op.state, revision, url: created.url });

    // The release's own files for its smoke script and E2E suite, found only when one runs.
    let releaseDir = params.releaseDir;
    const releaseFiles = async () => (releaseDir ??= await deps.releaseFiles?.(params.commit, params.digest));
    try {
      await runner.step(
        'wait-ready',
        async () => {
          const r = await deps.platform.waitReady(environment, revision, readyTimeoutMs, deps.signal);
          return { state: r.state };
        },
        () => `${revision} ready`,
      );
      await runner.step(
        'smoke',
        () => runSmoke(config, deps, settings.smoke, environment, revision, created.url, releaseFiles),
        (d) => d.summary,
      );
      const e2e = params.e2e;
      if (e2e) {
        // Seed §9's E2E tier: the release's own suite against this revision, before any traffic moves.
        await runner.step(
          'e2e',
          async () => ({
            ...(await runReleaseScript(config, deps, {
              label: `E2E suite ${e2e.name}`,
              code: 'PRODGUARD_DEPLOY_E2E_FAILED',
              command: e2e.command,
              timeout: e2e.timeout,
              environment,
              revision,
              url: created.url,
              releaseDir: releaseFiles,
            })),
            suite: e2e.name,
          }),
          (d) => `${d.suite}: ${d.summary}`,
        );
      }
    } catch (error) {
      if (deps.signal?.aborted) throw error;
      return failBeforeTraffic(config, op, deps, runner, planned, error);
    }

    // One journaled analysis step: a canary step's, or the watch after 100 %.
    const analysisStep = (step: `analyze-${number}` | 'watch', durationMs: number) =>
      runner.step(
        step,
        async () => ({
          outcome: await runAnalysis({
            platform: deps.platform,
            probe: deps.probe,
            clock: deps.clock,
            events: deps.events,
            settings: analysis,
            environment,
            revision,
            revisionUrl: created.url,
            operationId: op.id,
            step,
            durationMs,
            operationStartedAt: runner.startedAt,
            heartbeat: runner.heartbeat,
            ...(deps.signal ? { signal: deps.signal } : {}),
          }),
        }),
        (d) => describeOutcome(d.outcome),
        (d) => d.outcome.kind === 'pass',
      );

    for (const percent of params.steps) {
      await runner.step(
        `traffic-${percent}`,
        async () => {
          const targets = planStepTraffic(revision, stable, percent);
          const service = await applyTraffic(
            deps.platform,
            environment,
            targets,
            readyTimeoutMs,
            deps.signal,
          );
          deps.events.emit('traffic:switched', {
            operationId: op.id,
            environment,
            traffic: service.traffic,
            reason: `canary step ${percent} %`,
          });
          return { traffic: targets };
        },
        () => `${percent} % to ${revision}`,
      );
      if (percent >= 100) break;
      const { outcome } = await analysisStep(
        `analyze-${percent}`,
        resolveStepDuration(settings.stepDuration, analysis),
      );
      if (outcome.kind === 'fail')
        return compensate(config, op, deps, runner, planned, failingFrom(outcome, `canary ${percent} %`));
    }

    const { outcome: watchOutcome } = await analysisStep('watch', params.watchMs);
    if (watchOutcome.kind === 'fail')
      return compensate(config, op, deps, runner, planned, failingFrom(watchOutcome, 'watch'));

    const verified = await runner.step(
      'verify',
      () => verifyRelease(config, op, deps, revision, params, planned),
      (d) => (d.tag ? `verified, tagged ${d.tag}` : 'verified'),
    );
    await runner.step(
      'retire',
      async () => {
        const retired = await retireRevisions(deps, environment, revision, settings.keepRevisions);
        const pruned = await pruneUnusedReleases(config, deps, params.commit, settings.keepRevisions);
        return { ...retired, ...(pruned ? { pruned } : {}) };
      },
      (d) =>
        `stopped ${d.stopped.join(', ') || 'nothing'}${d.forgotten.length > 0 ? `; beyond the last ${settings.keepRevisions}: ${d.forgotten.join(', ')}` : ''}${d.pruned && d.pruned.commits.length > 0 ? `; removed ${d.pruned.commits.length} unused release${d.pruned.commits.length === 1 ? '' : 's'} (${formatBytes(d.pruned.bytes)})` : ''}`,
    );
    deps.events.emit('deploy:verified', {
      operationId: op.id,
      environment,
      revision,
      digest: release.digest,
      commit: release.commit,
      ...(verified.tag ? { tag: verified.tag } : {}),
    });
    return finish('success', `${revision} is serving 100 % of ${environment} and is known-good.`, {
      revision,
      tag: verified.tag,
    });
  } catch (error) {
    if (deps.signal?.aborted) {
      const restored = await restoreTrafficBefore(config, op, deps);
      markRevision(deps, op, 'rolled-back', { reason: 'aborted (Ctrl-C)', aborted: true });
      return finish('aborted', `Aborted; ${restored}.`, {}, 'interrupted by the operator');
    }
    if (isProdguardError(error) && error.code === 'PRODGUARD_OPERATION_LOCK_LOST') throw error;
    const restored = await restoreTrafficBefore(config, op, deps).catch(
      (e: unknown) => `could not restore traffic: ${e instanceof Error ? e.message : String(e)}`,
    );
    const reason = error instanceof Error ? error.message : String(error);
    markRevision(deps, op, 'failed', { error: reason });
    const cause = isProdguardError(error) ? `${error.code}: ${error.message}` : String(error);
    // The error's way out (e.g. restart the agent) goes with it: the operator reads this line, not the error.
    const hint = isProdguardError(error) && error.hint ? ` ${error.hint}` : '';
    return finish('failed', `Deploy failed (${cause}); ${restored}.${hint}`, {}, reason);
  }
}

type AnalysisResult = Awaited<ReturnType<typeof runAnalysis>>;

function failingFrom(outcome: Extract<AnalysisResult, { kind: 'fail' }>, where: string): DeployFailing {
  return outcome.reason === 'breach'
    ? { where, reason: 'breach', breaches: outcome.breaches }
    : { where, reason: 'insufficient-data', breaches: [], heldMs: outcome.heldMs };
}

function describeOutcome(outcome: AnalysisResult): string {
  if (outcome.kind === 'pass') return `healthy over ${outcome.samples} samples`;
  if (outcome.reason === 'breach') return `breach: ${outcome.breaches.map(describeBreach).join('; ')}`;
  return `insufficient data for ${formatDuration(outcome.heldMs)}`;
}

export function describeBreach(b: Breach): string {
  const window = formatDuration(b.windowMs);
  if (b.metric === 'errorRate')
    return `error rate ${(b.value * 100).toFixed(1)} % > ${(b.threshold * 100).toFixed(1)} % over ${window}`;
  if (b.metric === 'latencyP95') return `p95 ${Math.round(b.value)}ms > ${b.threshold}ms over ${window}`;
  if (b.metric === 'crashes') return `${b.value} crash(es) > ${b.threshold} allowed`;
  return 'revision not ready while serving';
}

/** Breach (or a hold that timed out): one atomic switch back to the known-good revision; the new one is failed. */
async function compensate(
  config: PipelineConfig,
  op: OperationRecord<'deploy'>,
  deps: PipelineDeps,
  runner: OperationRunner<'deploy'>,
  planned: string[],
  failing: DeployFailing,
): Promise<DeployResult> {
  const params = op.params;
  const revision = op.state.revision ?? '';
  if (!op.state.failing) {
    deps.ops.updateState(op, { ...op.state, failing });
    for (const breach of failing.breaches) deps.store.recordBreach(op.id, op.environment, revision, breach);
    deps.events.emit('deploy:breach', {
      operationId: op.id,
      environment: op.environment,
      revision,
      breaches: failing.breaches,
    });
  }
  const target: TrafficTarget[] = params.stableRevision
    ? [{ revision: params.stableRevision, percent: 100 }]
    : params.trafficBefore;
  let restored: TrafficTarget[] = [];
  if (target.length > 0) {
    await runner.step(
      'rollback',
      async () => {
        const service = await applyTraffic(deps.platform, op.environment, target, config.app.startupTimeout);
        restored = service.traffic;
        return { traffic: target };
      },
      () => `traffic back to ${target.map((t) => `${t.revision}=${t.percent}`).join(', ')}`,
    );
    restored = target;
    await stopQuietly(deps, op.environment, revision, 'after its rollback');
  }
  markRevision(deps, op, 'failed', { ...failing });
  const why =
    failing.reason === 'breach'
      ? failing.breaches.map(describeBreach).join('; ')
      : `insufficient data: fewer than the minimum requests for ${formatDuration(failing.heldMs ?? 0)}, even with probes`;
  deps.events.emit('deploy:rolled-back', {
    operationId: op.id,
    environment: op.environment,
    failedRevision: revision,
    restoredTraffic: restored,
    reason: why,
  });
  const message =
    target.length > 0
      ? `${revision} failed during ${failing.where} (${why}); traffic is back on ${target.map((t) => t.revision).join(', ')}.`
      : `${revision} failed during ${failing.where} (${why}); there is no known-good revision to return to.`;
  endOperation(deps.ops, deps.events, op, 'rolled-back', {
    message,
    elapsedMs: runner.elapsed(),
    error: why,
    audit: { target: revision, details: { breaches: failing.breaches } },
  });
  return {
    operationId: op.id,
    environment: op.environment,
    outcome: 'rolled-back',
    message,
    release: { commit: params.commit, digest: params.digest },
    revision,
    verdicts: [],
    steps: runner.results([...planned, 'rollback']),
    breaches: deps.store.readBreaches(op.id),
    times: undefined,
    tag: undefined,
  };
}

/** Not ready or smoke failed: no traffic ever moved, so the new revision is simply failed and stopped. */
async function failBeforeTraffic(
  config: PipelineConfig,
  op: OperationRecord<'deploy'>,
  deps: PipelineDeps,
  runner: OperationRunner<'deploy'>,
  planned: string[],
  error: unknown,
): Promise<DeployResult> {
  void config;
  const revision = op.state.revision ?? '';
  const message = `${revision} never took traffic: ${error instanceof Error ? error.message : String(error)}`;
  markRevision(deps, op, 'failed', { error: message });
  await stopQuietly(deps, op.environment, revision, 'that never took traffic');
  endOperation(deps.ops, deps.events, op, 'failed', {
    message,
    elapsedMs: runner.elapsed(),
    error: message,
    audit: { target: revision },
  });
  const params = op.params;
  return {
    operationId: op.id,
    environment: op.environment,
    outcome: 'failed',
    message,
    release: { commit: params.commit, digest: params.digest },
    revision,
    verdicts: [],
    steps: runner.results(planned),
    breaches: [],
    times: undefined,
    tag: undefined,
  };
}

/** Abort: the traffic the operation found, exactly, on revisions made ready first. Never cancelled by Ctrl-C. */
export async function restoreTrafficBefore(
  config: PipelineConfig,
  op: OperationRecord<'deploy'>,
  deps: PipelineDeps,
): Promise<string> {
  const revision = op.state.revision;
  const trafficBefore = op.params.trafficBefore;
  if (trafficBefore.length === 0) {
    return revision ? `there was no traffic before; ${revision} keeps what it has` : 'no traffic was moved';
  }
  const service = await applyTraffic(deps.platform, op.environment, trafficBefore, config.app.startupTimeout);
  deps.events.emit('traffic:switched', {
    operationId: op.id,
    environment: op.environment,
    traffic: service.traffic,
    reason: 'restore the traffic before the operation',
  });
  if (revision && !trafficBefore.some((t) => t.revision === revision)) {
    await stopQuietly(deps, op.environment, revision, 'after restoring the traffic');
  }
  return `traffic restored to ${trafficBefore.map((t) => `${t.revision}=${t.percent}`).join(', ')}`;
}

/** The one place a revision's secrets are chosen: admin credentials never reach the app. */
export function appSecretsOnly<T>(
  secrets: Record<string, T>,
  isAdmin: ((name: string) => boolean) | undefined,
): Record<string, T> {
  if (!isAdmin) return secrets;
  return Object.fromEntries(Object.entries(secrets).filter(([name]) => !isAdmin(name)));
}

/** Stopping a revision nobody routes to is housekeeping: a failure is logged, never fatal. */
async function stopQuietly(deps: PipelineDeps, environment: string, revision: string, why: string) {
  await deps.platform.stopRevision(environment, revision).catch((error: unknown) => {
    deps.log?.warn(`could not stop ${revision} ${why}`, {
      environment,
      error: error instanceof Error ? error.message : String(error),
    });
  });
}

export function markRevision(
  deps: Pick<PipelineDeps, 'store'>,
  op: OperationRecord<'deploy'>,
  verdict: 'failed' | 'rolled-back',
  details: Record<string, unknown>,
): void {
  const revision = op.state.revision;
  if (!revision) return;
  const params = op.params;
  deps.store.recordVerdict({
    environment: op.environment,
    revision,
    verdict,
    digest: params.digest,
    commit: params.commit,
    operationId: op.id,
    details,
  });
}

async function runSmoke(
  config: PipelineConfig,
  deps: PipelineDeps,
  smoke: { command?: string | undefined; timeout: number },
  environment: string,
  revision: string,
  url: string,
  releaseDir: () => Promise<string | undefined>,
): Promise<SmokeOutcome> {
  if (!smoke.command) return { summary: 'no smoke command configured (deploy.smoke.command)', skipped: true };
  return runReleaseScript(config, deps, {
    label: 'Smoke test',
    code: 'PRODGUARD_DEPLOY_SMOKE_FAILED',
    command: smoke.command,
    timeout: smoke.timeout,
    environment,
    revision,
    url,
    releaseDir,
  });
}

/** A test command of the release (smoke, E2E) run against a new revision before it takes traffic. */
async function runReleaseScript(
  config: PipelineConfig,
  deps: PipelineDeps,
  script: {
    label: string;
    code: 'PRODGUARD_DEPLOY_SMOKE_FAILED' | 'PRODGUARD_DEPLOY_E2E_FAILED';
    command: string;
    timeout: number;
    environment: string;
    revision: string;
    url: string;
    releaseDir: () => Promise<string | undefined>;
  },
): Promise<SmokeOutcome> {
  const releaseDir = await script.releaseDir();
  const placement = await placeScript(config, deps, { ...script, releaseDir });
  const result = await deps.processes.runShell(script.command, {
    // The release's own script, from its artifact; the working tree may hold another commit.
    cwd: placement?.dir ?? releaseDir ?? config.root,
    env: {
      // A fenced environment: the script reaches the revision through BASE_URL and nothing else of ours.
      PATH: deps.env?.PATH ?? '',
      HOME: deps.env?.HOME ?? '',
      ...placement?.env,
      BASE_URL: script.url,
      PRODGUARD_ENVIRONMENT: script.environment,
      PRODGUARD_REVISION: script.revision,
    },
    ...(placement?.uid !== undefined ? { uid: placement.uid } : {}),
    ...(placement?.gid !== undefined ? { gid: placement.gid } : {}),
    timeoutMs: script.timeout,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  if (result.failed) {
    throw new ProdguardError(
      script.code,
      `${script.label} \`${script.command}\` against ${script.url} ${result.timedOut ? 'timed out' : `exited ${result.exitCode}`}:\n${tailLines(`${result.stdout}\n${result.stderr}`, 15)}`,
      { hint: `Fix the release (or the ${script.label.toLowerCase()}) and deploy again; no traffic moved.` },
    );
  }
  return {
    summary: `\`${script.command}\` passed in ${formatDuration(result.durationMs)}`,
    durationMs: result.durationMs,
  };
}

/**
 * As root, the smoke script and E2E suite run like a revision of the environment: as app.runAs, from the
 * environment's folder of releases, with the environment's HOME and TMPDIR. Not root: undefined (prodguard's
 * user, from the artifact).
 */
async function placeScript(
  config: PipelineConfig,
  deps: PipelineDeps,
  script: { label: string; command: string; environment: string; releaseDir: string | undefined },
): Promise<RevisionPlacement | undefined> {
  if (!deps.scripts?.user.switched) return undefined;
  if (!script.releaseDir) {
    throw new ProdguardError(
      'PRODGUARD_DEPLOY_SCRIPT_NO_RELEASE',
      `${script.label} \`${script.command}\` would run as ${deps.scripts.user.name} from the release's files, but this deploy has none (it started before releases kept their folder).`,
      {
        hint: `Deploy the commit again (prodguard deploy ${script.environment} --commit <sha>): the new deploy builds the release and runs its ${script.label.toLowerCase()} from it.`,
        details: { root: config.root },
      },
    );
  }
  return deps.scripts.place(script.environment, script.releaseDir);
}

async function verifyRelease(
  config: PipelineConfig,
  op: OperationRecord<'deploy'>,
  deps: PipelineDeps,
  revision: string,
  params: DeployParams,
  planned: string[],
): Promise<{ tag?: string }> {
  const environment = op.environment;
  deps.store.recordVerdict({
    environment,
    revision,
    verdict: 'known-good',
    digest: params.digest,
    commit: params.commit,
    operationId: op.id,
    details: { watchMs: params.watchMs },
  });
  const checks = planned
    .filter(
      (s) => s === 'wait-ready' || s === 'smoke' || s === 'e2e' || s.startsWith('analyze-') || s === 'watch',
    )
    .map((s) => (s === 'e2e' && params.e2e ? e2eCheckName(params.e2e) : s));
  checks.push(runtimeCheckName(config.app));
  deps.store.recordVerification({
    environment,
    digest: params.digest,
    commit: params.commit,
    revision,
    checks,
    windowMs: params.watchMs,
    actor: deps.actor,
    operationId: op.id,
  });
  let tag: string | undefined;
  if (isInScope('final', environment, config)) {
    tag = await createRollbackTag(config, deps, environment, revision, params);
  }
  deps.store.recordReleaseMark(environment, params.commit, tag);
  const head = deps.ops.auditHead();
  if (head)
    recordAuditAnchor(deps.ops.stateStore, {
      ...head,
      at: deps.clock.now().toISOString(),
      kind: 'release-mark',
      destination: `${environment}@${params.commit}`,
    });
  return tag ? { tag } : {};
}

/** Seed §5 step 5: the annotated rollback tag, named from config.releaseTag in config.timezone. */
async function createRollbackTag(
  config: PipelineConfig,
  deps: PipelineDeps,
  environment: string,
  revision: string,
  params: DeployParams,
): Promise<string | undefined> {
  const name = planReleaseTagName(config.releaseTag, deps.clock.now(), config.timezone, {
    environment,
    commit: params.commit,
  });
  // The audit head rides in the tag: a rewritten or truncated trail no longer matches it (audit verify).
  const head = deps.ops.auditHead();
  const message = [
    `${environment} deploy of ${params.commit.slice(0, 12)}`,
    '',
    `revision: ${revision}`,
    `digest: ${params.digest}`,
    `actor: ${deps.actor}`,
    ...(params.note ? [`note: ${params.note}`] : []),
    ...(head ? ['', formatAuditAnchor(head)] : []),
  ].join('\n');
  for (const candidate of releaseTagCandidates(name)) {
    const result = await deps.processes.run('git', ['tag', '-a', candidate, '-F', '-', params.commit], {
      cwd: config.root,
      input: message,
      timeoutMs: 30_000,
    });
    if (!result.failed) {
      if (head)
        recordAuditAnchor(deps.ops.stateStore, {
          ...head,
          at: deps.clock.now().toISOString(),
          kind: 'git-tag',
          destination: candidate,
        });
      return candidate;
    }
    if (!/already exists/.test(result.stderr)) return undefined;
  }
  return undefined;
}

/**
 * After retiring: the built releases no revision needs go, so the artifact store does not grow by a copy of
 * the app per deploy. Kept: every release a revision that is not stopped runs (any environment, failed ones
 * included, for their logs), each environment's newest `keep` known-good revisions (its rollback targets, which
 * must start without a rebuild), and this deploy's. Only when every environment runs on the local agent: the
 * releases of Cloud Run environments are images, and their revisions are not asked for here. Best effort.
 */
async function pruneUnusedReleases(
  config: PipelineConfig,
  deps: PipelineDeps,
  current: string,
  keep: number,
): Promise<{ commits: string[]; bytes: number } | undefined> {
  const prune = deps.pruneReleases;
  if (!prune) return undefined;
  if (config.environmentOrder.some((e) => config.environments[e]?.platform?.kind === 'cloudrun'))
    return undefined;
  try {
    const inUse = new Set<string>([current]);
    for (const environment of config.environmentOrder) {
      const revisions = await deps.platform.listRevisions(environment);
      const commitOf = new Map(revisions.map((r) => [r.name, r.release.commit]));
      for (const r of revisions) if (r.state !== 'stopped') inUse.add(r.release.commit);
      const targets = deps.store
        .latestVerdicts(environment)
        .filter((v) => v.verdict === 'known-good')
        .slice(0, keep + 1);
      for (const v of targets) inUse.add(commitOf.get(v.revision) ?? v.commit);
    }
    return await prune(inUse);
  } catch (error) {
    deps.log?.warn(
      `unused releases were not removed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * After the watch: every revision without traffic is stopped (drained first by the platform), so only the
 * serving one costs anything. Stopped revisions stay restartable; the newest `keep` known-good ones remain
 * automatic rollback targets, older ones are marked retired (still reachable with `rollback --to`).
 */
async function retireRevisions(
  deps: PipelineDeps,
  environment: string,
  current: string,
  keep: number,
): Promise<{ stopped: string[]; kept: string[]; forgotten: string[] }> {
  const service = await deps.platform.getService(environment);
  const live = new Set(effectiveTraffic(service).map((t) => t.revision));
  const stopped: string[] = [];
  const kept: string[] = [];
  const revisions = await deps.platform.listRevisions(environment);
  for (const r of revisions) {
    if (live.has(r.name) || r.state === 'stopped' || r.name === current) continue;
    // Best effort: the release is verified already; a revision that will not stop is reported, not fatal.
    const ok = await deps.platform.stopRevision(environment, r.name).then(
      () => true,
      () => false,
    );
    (ok ? stopped : kept).push(r.name);
  }
  const forgotten: string[] = [];
  const knownGood = deps.store
    .latestVerdicts(environment)
    .filter((v) => v.verdict === 'known-good' && v.revision !== current && !live.has(v.revision));
  for (const v of knownGood.slice(keep)) {
    deps.store.recordVerdict({ ...v, verdict: 'retired', details: { beyondLast: keep } });
    forgotten.push(v.revision);
  }
  return { stopped, kept, forgotten };
}
