import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runtimeCheckName } from '../config/runtime-fingerprint.js';
import { isProdguardError } from '../kernel/errors.js';
import { runDeploy } from './run-deploy.js';
import { runMaintenance } from './run-maintenance.js';
import { runRollback } from './run-rollback.js';
import { createPipelineHarness, type PipelineHarness } from './testing/pipeline-harness.js';

let h: PipelineHarness;
beforeEach(async () => {
  h = await createPipelineHarness();
  h.platform.setLoad('staging', 50);
  h.platform.setLoad('production', 100);
});
afterEach(() => h.cleanup());

async function errorOf(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** Releases a commit through staging into production, both verified. */
async function shipToProduction(message: string) {
  const sha = await h.commit(message);
  const staging = await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
  expect(staging.outcome).toBe('success');
  const production = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps());
  expect(production.outcome).toBe('success');
  return { sha, staging, production };
}

describe('deploy to staging', () => {
  it('starts at 0 %, waits for ready, moves traffic, watches, and records the verification', async () => {
    const sha = await h.commit('feature');
    const result = await runDeploy(
      h.config,
      { environment: 'staging', commit: sha, note: 'first' },
      h.deps(),
    );
    expect(result.outcome).toBe('success');
    expect(result.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'create-revision:Success',
      'wait-ready:Success',
      'smoke:Success',
      'traffic-100:Success',
      'watch:Success',
      'verify:Success',
      'retire:Success',
    ]);
    const service = await h.platform.getService('staging');
    expect(service.traffic).toEqual([{ revision: result.revision, percent: 100 }]);
    const verification = h.store.latestVerification('staging', h.digestOf(sha));
    expect(verification).toMatchObject({
      revision: result.revision,
      commit: sha,
      actor: 'tester@example.com',
      windowMs: 30_000,
      checks: ['wait-ready', 'smoke', 'watch', runtimeCheckName(h.config.app)],
    });
    // Not the final environment: a release mark but no rollback tag.
    expect(await h.git('tag', '--list')).toBe('');
    expect(h.state.db.prepare('SELECT environment, commit_sha, tag FROM release_marks').all()).toEqual([
      { environment: 'staging', commit_sha: sha, tag: null },
    ]);
    const audit = h.audit.list().map((e) => `${e.action}:${e.outcome}`);
    expect(audit).toEqual(['deploy:started', 'deploy:success']);
  });

  it('starts the new revision with the pinned secret versions, never "latest"', async () => {
    const sha = await h.commit('with secrets');
    const pins = {
      DATABASE_URL: { version: 3, envVar: 'DATABASE_URL' },
      JWT_SECRET: { version: 7, envVar: 'JWT_SECRET' },
    };
    const result = await runDeploy(
      h.config,
      { environment: 'staging', commit: sha },
      h.deps({ pinnedSecrets: () => pins }),
    );
    expect(result.outcome).toBe('success');
    expect((await h.platform.getRevision('staging', result.revision!)).secretVersions).toEqual({
      DATABASE_URL: 3,
      JWT_SECRET: 7,
    });
  });

  it('prints worst-case time-to-detect and time-to-rollback implied by the config', async () => {
    const sha = await h.commit('feature');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    const plan = h.seen.find((e) => e.name === 'deploy:plan')!.payload;
    expect(plan.times).toEqual({
      decisiveTimeToDetectMs: 1000,
      decisiveTimeToRollbackMs: 3000,
      timeToDetectMs: 3000,
      timeToRollbackMs: 5000,
      lowTrafficTimeToDetectMs: 21_000,
      lowTrafficTimeToRollbackMs: 23_000,
    });
  });

  it('a revision that never becomes ready fails without ever taking traffic', async () => {
    const first = await h.commit('good');
    await runDeploy(h.config, { environment: 'staging', commit: first }, h.deps());
    const before = await h.platform.getService('staging');
    const sha = await h.commit('broken boot');
    h.platform.behave(h.digestOf(sha), { neverReady: true });
    const result = await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    expect(result.outcome).toBe('failed');
    expect(result.message).toMatch(/never took traffic: Revision .* did not become ready within 60000ms/);
    expect((await h.platform.getService('staging')).traffic).toEqual(before.traffic);
    expect(h.platform.trafficLog.some((t) => t.traffic.some((x) => x.revision === result.revision))).toBe(
      false,
    );
    expect(h.store.latestVerdicts('staging')[0]).toMatchObject({
      revision: result.revision,
      verdict: 'failed',
    });
  });
});

describe('staging first', () => {
  it('refuses a release with no verification on staging, naming the digest and the fix', async () => {
    const sha = await h.commit('unverified');
    const result = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps());
    expect(result.outcome).toBe('refused');
    const verdict = result.verdicts.find((v) => v.id === 'staging-first')!;
    expect(verdict.status).toBe('fail');
    expect(verdict.message).toBe(
      `commit ${sha.slice(0, 7)} has no verified release on staging (decided before building)`,
    );
    expect(verdict.hint).toContain(`prodguard deploy staging --commit ${sha.slice(0, 12)}`);
    expect(verdict.hint).toContain('--override staging-first --reason');
    expect(await h.platform.listRevisions('production')).toEqual([]);
    expect(h.audit.list().map((e) => `${e.action}:${e.outcome}`)).toEqual(['deploy:refused']);
  });

  it('refuses an unverified release before building it and before the test suite runs', async () => {
    const sha = await h.commit('unverified');
    let testsRan = 0;
    const checks = {
      checksFor: async () => [
        {
          ruleId: 'tests-pass',
          cost: 'expensive' as const,
          run: async () => {
            testsRan += 1;
            return { status: 'pass' as const, message: 'suite passed' };
          },
        },
      ],
    };
    const result = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps({ checks }));
    expect(result.outcome).toBe('refused');
    expect(h.built).toEqual([]);
    expect(testsRan).toBe(0);
    expect(result.verdicts.map((v) => `${v.id}:${v.status}`)).toContain('staging-first:fail');
    // Once staging verified it, the suite runs (after the build) and production proceeds.
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps({ checks }));
    const testsOnStaging = testsRan;
    const promoted = await runDeploy(
      h.config,
      { environment: 'production', commit: sha },
      h.deps({ checks }),
    );
    expect(promoted.outcome).toBe('success');
    expect(testsRan).toBe(testsOnStaging + 1);
  });

  it('a built but unverified release is refused by its digest, before the suite', async () => {
    const sha = await h.commit('built, never verified');
    await h.deps().builder.build(sha);
    const result = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps());
    expect(result.verdicts.find((v) => v.id === 'staging-first')!.message).toBe(
      `release ${h.digestOf(sha).slice(7, 19)} (commit ${sha.slice(0, 7)}) has no verification on staging`,
    );
  });

  it('a held lock refuses before the build', async () => {
    const sha = await h.commit('locked');
    const { acquireEnvironmentLock } = await import('../store/index.js');
    const lock = await acquireEnvironmentLock(h.state, {
      environment: 'staging',
      operation: 'maintenance',
      owner: 'other@example.com',
      clock: h.clock,
    });
    const error = await errorOf(runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps()));
    expect(error).toMatchObject({ code: 'PRODGUARD_LOCK_HELD' });
    expect(h.built).toEqual([]);
    lock.release();
  });

  it('refuses an expired verification', async () => {
    const sha = await h.commit('old');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    h.clock.advance(8 * 86_400_000);
    const result = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps());
    expect(result.outcome).toBe('refused');
    expect(result.verdicts.find((v) => v.id === 'staging-first')!.message).toMatch(
      /verified on staging 8d\d*.* ago, longer than deploy.verificationMaxAge \(7d\)|verified on staging .* ago, longer than deploy.verificationMaxAge \(1w\)/,
    );
  });

  it('refuses when staging is not healthy now, even for a verified release', async () => {
    const sha = await h.commit('verified');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    h.platform.behave(h.digestOf(sha), { errorRate: 0.3 }, 'staging');
    h.clock.advance(10_000);
    const result = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps());
    expect(result.outcome).toBe('refused');
    expect(result.verdicts.find((v) => v.id === 'staging-first')!.message).toMatch(
      /is verified on staging, but staging is not healthy now: staging-00001-\w+ error rate 30.0 % > 5.0 %/,
    );
  });

  it('--override staging-first --reason passes, and the override is audited with its reason', async () => {
    const sha = await h.commit('urgent');
    const result = await runDeploy(
      h.config,
      {
        environment: 'production',
        commit: sha,
        overrides: [{ ruleId: 'staging-first', reason: 'staging cluster is down, CVE fix' }],
      },
      h.deps(),
    );
    expect(result.outcome).toBe('success');
    expect(result.verdicts.find((v) => v.id === 'staging-first')!.status).toBe('overridden');
    const override = h.audit.list().find((e) => e.action === 'rule.override')!;
    expect(override).toMatchObject({
      environment: 'production',
      target: 'staging-first',
      reason: 'staging cluster is down, CVE fix',
      outcome: 'overridden',
    });
  });

  it('full-watch: a --watch shorter than the configured one is refused, and passes only overridden with a reason', async () => {
    const sha = await h.commit('hurry');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    const refused = await runDeploy(
      h.config,
      { environment: 'production', commit: sha, watchMs: 0 },
      h.deps(),
    );
    expect(refused.outcome).toBe('refused');
    expect(refused.verdicts.find((v) => v.id === 'full-watch')).toMatchObject({
      status: 'fail',
      message: '--watch 0ms is shorter than the configured watch (30s)',
    });
    // The release was not verified on production by a watch that never happened.
    expect(h.store.latestVerification('production', h.digestOf(sha))).toBeUndefined();
    const longer = await runDeploy(
      h.config,
      { environment: 'production', commit: sha, watchMs: 60_000 },
      h.deps(),
    );
    expect(longer.verdicts.find((v) => v.id === 'full-watch')!.status).toBe('pass');
  });

  it('full-watch: --override full-watch --reason deploys with the short watch, audited', async () => {
    const sha = await h.commit('hurry, overridden');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    const result = await runDeploy(
      h.config,
      {
        environment: 'production',
        commit: sha,
        watchMs: 1000,
        overrides: [{ ruleId: 'full-watch', reason: 'outage fix, watched by hand' }],
      },
      h.deps(),
    );
    expect(result.outcome).toBe('success');
    expect(h.audit.list().find((e) => e.action === 'rule.override')).toMatchObject({
      environment: 'production',
      target: 'full-watch',
      reason: 'outage fix, watched by hand',
      outcome: 'overridden',
    });
  });

  it('a verified release reaches production, which gets the annotated rollback tag and a release mark', async () => {
    const { sha, production } = await shipToProduction('ship it');
    expect(production.tag).toBe('v20260107-1001');
    expect(await h.git('tag', '--list')).toBe('v20260107-1001');
    expect(await h.git('cat-file', '-t', 'v20260107-1001')).toBe('tag');
    expect(await h.git('rev-parse', 'v20260107-1001^{commit}')).toBe(sha);
    expect(await h.git('tag', '-l', '--format=%(contents)', 'v20260107-1001')).toContain(
      `revision: ${production.revision}`,
    );
    expect(
      h.state.db.prepare("SELECT tag FROM release_marks WHERE environment = 'production'").all(),
    ).toEqual([{ tag: 'v20260107-1001' }]);
  });
});

describe('a failure revokes verifications', () => {
  it('a release that failed its production canary cannot be redeployed on its old staging verification', async () => {
    await shipToProduction('v1');
    const sha = await h.commit('v2 faulty');
    const staging = await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    expect(staging.outcome).toBe('success');
    h.platform.behave(h.digestOf(sha), { errorRate: 0.5 }, 'production');
    h.platform.setLoad('production', 200);
    const failed = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps());
    expect(failed.outcome).toBe('rolled-back');
    h.clock.advance(180_000);
    const again = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps());
    expect(again.outcome).toBe('refused');
    const verdict = again.verdicts.find((v) => v.id === 'staging-first')!;
    expect(verdict.status).toBe('fail');
    expect(verdict.message).toContain(`failed on production`);
    expect(verdict.message).toContain(`${failed.revision}); that revokes its verification on staging`);
    // Staging no longer keeps the release as known-good, and status says where it failed.
    const onStaging = h.store.latestVerdicts('staging').find((v) => v.revision === staging.revision)!;
    expect(onStaging).toMatchObject({ verdict: 'failed', details: { releaseFailedOn: 'production' } });
    expect(h.store.releaseStanding(h.digestOf(sha))).toEqual([
      { environment: 'staging', verifiedAt: expect.any(String), failed: true },
    ]);
    // A new staging verification made after the failure counts again.
    h.platform.behave(h.digestOf(sha), {}, 'production');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    expect(h.store.standingVerification('staging', h.digestOf(sha)).verification).toBeDefined();
  });

  it('a release rolled back on staging is not promoted on its earlier verification', async () => {
    await shipToProduction('v1');
    const sha = await h.commit('v2');
    expect((await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps())).outcome).toBe(
      'success',
    );
    await runRollback(h.config, { environment: 'staging' }, h.deps());
    h.clock.advance(1_400);
    const result = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps());
    expect(result.outcome).toBe('refused');
    expect(result.verdicts.find((v) => v.id === 'staging-first')!.message).toMatch(
      /was rolled back on staging .*revokes its verification on staging/,
    );
  });
});

describe('checks from other domains (the DeployChecks port)', () => {
  it('refuses on a failing preflight check, and --override with a reason passes it, audited', async () => {
    const sha = await h.commit('friday fix');
    const checks = {
      checksFor: async ({ environment }: { environment: string }) => [
        {
          ruleId: 'no-friday-deploys',
          run: async () => ({ status: 'fail' as const, message: `it is Friday on ${environment}` }),
        },
      ],
    };
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    const refused = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps({ checks }));
    expect(refused.outcome).toBe('refused');
    expect(refused.verdicts.find((v) => v.id === 'no-friday-deploys')).toMatchObject({
      status: 'fail',
      message: 'it is Friday on production',
    });
    const forced = await runDeploy(
      h.config,
      {
        environment: 'production',
        commit: sha,
        overrides: [{ ruleId: 'no-friday-deploys', reason: 'payment outage fix' }],
      },
      h.deps({ checks }),
    );
    expect(forced.outcome).toBe('success');
    expect(h.audit.list().find((e) => e.action === 'rule.override')).toMatchObject({
      target: 'no-friday-deploys',
      reason: 'payment outage fix',
    });
  });
});

describe('analysis and automatic rollback', () => {
  it('a canary failing 50 % under production traffic is rolled back in one switch, exit-worthy breach recorded', async () => {
    const { production: v1 } = await shipToProduction('v1');
    const sha = await h.commit('v2 faulty');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    h.platform.behave(h.digestOf(sha), { errorRate: 0.5 }, 'production');
    // 10 % of 200 rps gives the canary minRequests (20) in its first 1 s sample, half of them failing:
    // decisive evidence, so the first sample trips the rollback (not K × interval).
    h.platform.setLoad('production', 200);
    const result = await runDeploy(
      h.config,
      { environment: 'production', commit: sha, strategy: 'canary', steps: [10, 50, 100] },
      h.deps(),
    );
    expect(result.outcome).toBe('rolled-back');
    expect(result.breaches).toEqual([{ metric: 'errorRate', value: 0.5, threshold: 0.05, windowMs: 10_000 }]);
    expect(result.message).toMatch(
      /failed during canary 10 % \(error rate 50.0 % > 5.0 % over 10s\); traffic is back on/,
    );
    expect((await h.platform.getService('production')).traffic).toEqual([
      { revision: v1.revision, percent: 100 },
    ]);
    const prodLog = h.platform.trafficLog.filter((t) => t.service === 'production');
    const canary = prodLog.findIndex((t) => t.traffic.some((x) => x.revision === result.revision));
    // 90/10, then straight back: the 50 % step never happened.
    expect(
      prodLog.slice(canary).map((t) => t.traffic.map((x) => `${x.revision}=${x.percent}`).join(',')),
    ).toEqual([`${v1.revision}=90,${result.revision}=10`, `${v1.revision}=100`]);
    const detectMs = Date.parse(prodLog[canary + 1]!.at) - Date.parse(prodLog[canary]!.at);
    expect(detectMs).toBe(1000);
    expect(h.store.lastKnownGood('production')?.revision).toBe(v1.revision);
    expect(h.store.latestVerdicts('production').find((r) => r.revision === result.revision)!.verdict).toBe(
      'failed',
    );
    expect((await h.platform.getRevision('production', result.revision!)).state).toBe('stopped');
    const audited = h.audit.list({ environment: 'production' }).at(-1)!;
    expect(audited).toMatchObject({ action: 'deploy', outcome: 'rolled-back', target: result.revision });
    // The audit keeps the evidence: the error rate's lower bound and that it was decisive.
    expect(audited.details.breaches).toEqual([
      { ...result.breaches[0], lowerBound: expect.any(Number), decisive: true },
    ]);
  });

  it('a breach during the watch after 100 % switches back to the warm known-good revision', async () => {
    const { production: v1 } = await shipToProduction('v1');
    const sha = await h.commit('v2 slow');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    h.platform.behave(h.digestOf(sha), { latencyMs: 2500 }, 'production');
    const result = await runDeploy(
      h.config,
      { environment: 'production', commit: sha, strategy: 'all-at-once' },
      h.deps(),
    );
    expect(result.outcome).toBe('rolled-back');
    expect(result.breaches[0]).toMatchObject({ metric: 'latencyP95', value: 2500, threshold: 2000 });
    expect((await h.platform.getService('production')).traffic).toEqual([
      { revision: v1.revision, percent: 100 },
    ]);
    expect(result.steps.find((s) => s.name === 'watch')!.status).toBe('Success');
    expect(result.steps.find((s) => s.name === 'verify')!.status).toBe('NotExecuted');
  });

  it('insufficient data holds and sends probes to the revision until there is signal', async () => {
    h.platform.setLoad('staging', 0);
    const sha = await h.commit('quiet');
    const result = await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    expect(result.outcome).toBe('success');
    const samples = h.seen.filter((e) => e.name === 'analysis:sample').map((e) => e.payload.verdict);
    expect(samples.slice(0, 3)).toEqual(['insufficient', 'insufficient', 'healthy']);
    const probes = h.seen.filter((e) => e.name === 'analysis:probes');
    expect(probes[0]!.payload).toMatchObject({ revision: result.revision, sent: 10, failed: 0 });
  });

  it('probes reveal a failing revision nobody is using yet', async () => {
    h.platform.setLoad('staging', 0);
    const sha = await h.commit('quiet but broken');
    h.platform.behave(h.digestOf(sha), { errorRate: 1 });
    const result = await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    expect(result.outcome).toBe('rolled-back');
    expect(result.breaches[0]).toMatchObject({ metric: 'errorRate', value: 1 });
    expect(h.seen.some((e) => e.name === 'analysis:probes' && e.payload.failed === 10)).toBe(true);
  });

  it('fails the step only when the hold times out', async () => {
    const quiet = await createPipelineHarness({
      deploy: {
        analysis: {
          interval: '1s',
          window: '10s',
          minRequests: 1000,
          holdTimeout: '20s',
          probesPerSample: 1,
        },
      },
    });
    try {
      const sha = await quiet.commit('quiet');
      const result = await runDeploy(quiet.config, { environment: 'staging', commit: sha }, quiet.deps());
      expect(result.outcome).toBe('rolled-back');
      expect(result.breaches).toEqual([]);
      expect(result.message).toMatch(
        /insufficient data: fewer than the minimum requests for 20s, even with probes/,
      );
      const samples = quiet.seen.filter((e) => e.name === 'analysis:sample');
      expect(samples).toHaveLength(21);
    } finally {
      quiet.cleanup();
    }
  });

  it('counts a crash of the new revision as a breach', async () => {
    const { production: v1 } = await shipToProduction('v1');
    const sha = await h.commit('v2 crashy');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    const off = h.events.on('analysis:sample', (e) => {
      if (e.step === 'analyze-10') h.platform.crash('production', e.revision);
    });
    const result = await runDeploy(
      h.config,
      { environment: 'production', commit: sha, steps: [10, 100] },
      h.deps(),
    );
    off();
    expect(result.outcome).toBe('rolled-back');
    expect(result.breaches[0]!.metric).toBe('crashes');
    expect((await h.platform.getService('production')).traffic).toEqual([
      { revision: v1.revision, percent: 100 },
    ]);
  });
});

describe('locks, Ctrl-C, hotfix, rollback, maintenance', () => {
  it('concurrent deploys contend for the environment lock: the second is refused naming the holder', async () => {
    const a = await h.commit('a');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached!: () => void;
    // The first deploy holds the lock once it waits for its revision to be ready.
    const holding = new Promise<void>((resolve) => {
      reached = resolve;
    });
    h.platform.afterAct = async (method) => {
      if (method !== 'waitReady') return;
      reached();
      await gate;
    };
    const first = runDeploy(h.config, { environment: 'staging', commit: a }, h.deps());
    await holding;
    const b = await h.commit('b');
    const error = await errorOf(runDeploy(h.config, { environment: 'staging', commit: b }, h.deps()));
    expect(isProdguardError(error) && error.code).toBe('PRODGUARD_LOCK_HELD');
    expect((error as Error).message).toMatch(
      /Environment staging is locked by "deploy [0-9a-f]{12}" \(tester@example.com/,
    );
    h.platform.afterAct = undefined;
    release();
    expect((await first).outcome).toBe('success');
    expect((await runDeploy(h.config, { environment: 'staging', commit: b }, h.deps())).outcome).toBe(
      'success',
    );
  });

  it('Ctrl-C aborts cleanly: the traffic it found is restored exactly', async () => {
    const { production: v1 } = await shipToProduction('v1');
    const sha = await h.commit('v2');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    const controller = new AbortController();
    const off = h.events.on('analysis:sample', (e) => {
      if (e.step === 'analyze-50') controller.abort();
    });
    const result = await runDeploy(
      h.config,
      { environment: 'production', commit: sha, steps: [10, 50, 100] },
      h.deps({ signal: controller.signal }),
    );
    off();
    expect(result.outcome).toBe('aborted');
    expect((await h.platform.getService('production')).traffic).toEqual([
      { revision: v1.revision, percent: 100 },
    ]);
    expect(h.ops.running('production')).toEqual([]);
    expect(h.audit.list().at(-1)).toMatchObject({ action: 'deploy', outcome: 'rolled-back' });
  });

  it('refuses to deploy over a failing known-good revision unless it is a --hotfix', async () => {
    const { sha: v1 } = await shipToProduction('v1');
    h.platform.behave(h.digestOf(v1), { errorRate: 0.4 }, 'production');
    h.clock.advance(10_000);
    const fix = await h.commit('fix');
    await runDeploy(h.config, { environment: 'staging', commit: fix }, h.deps());
    const error = await errorOf(runDeploy(h.config, { environment: 'production', commit: fix }, h.deps()));
    expect(isProdguardError(error) && error.code).toBe('PRODGUARD_DEPLOY_STABLE_FAILING');
    const result = await runDeploy(
      h.config,
      { environment: 'production', commit: fix, hotfix: { reason: 'v1 leaks connections' } },
      h.deps(),
    );
    expect(result.outcome).toBe('success');
    const hotfixOp = h.ops.get(result.operationId!, 'deploy')!;
    expect(hotfixOp.params.hotfix).toEqual({ reason: 'v1 leaks connections' });
  });

  it('a hotfix is still gated by staging verification', async () => {
    await shipToProduction('v1');
    const fix = await h.commit('fix, unverified');
    const result = await runDeploy(
      h.config,
      { environment: 'production', commit: fix, hotfix: { reason: 'urgent' } },
      h.deps(),
    );
    expect(result.outcome).toBe('refused');
  });

  it('rollback restarts the retired known-good revision, waits for it, switches, and is audited', async () => {
    const { production: v1 } = await shipToProduction('v1');
    const { production: v2 } = await shipToProduction('v2');
    expect((await h.platform.getRevision('production', v1.revision!)).state).toBe('stopped');
    const result = await runRollback(h.config, { environment: 'production' }, h.deps());
    expect(result.to).toBe(v1.revision);
    expect((await h.platform.getService('production')).traffic).toEqual([
      { revision: v1.revision, percent: 100 },
    ]);
    expect(result.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'start-target:Success',
      'wait-ready:Success',
      'switch:Success',
    ]);
    expect(h.store.latestVerdicts('production').find((r) => r.revision === v2.revision)!.verdict).toBe(
      'rolled-back',
    );
    expect(h.audit.list().at(-1)).toMatchObject({
      action: 'rollback',
      outcome: 'success',
      environment: 'production',
    });
  });

  it('rollback --to names any revision and refuses an unknown one', async () => {
    const { production: v1 } = await shipToProduction('v1');
    await shipToProduction('v2');
    const result = await runRollback(h.config, { environment: 'production', to: v1.revision! }, h.deps());
    expect(result.to).toBe(v1.revision);
    // Explicit navigation judges nothing: v2 stays known-good, so a plain rollback goes back to it.
    const back = await runRollback(h.config, { environment: 'production' }, h.deps());
    expect(back.to).not.toBe(v1.revision);
    const error = await errorOf(runRollback(h.config, { environment: 'production', to: 'nope' }, h.deps()));
    expect(isProdguardError(error) && error.code).toBe('PRODGUARD_DEPLOY_NO_ROLLBACK_TARGET');
  });

  it('maintenance on/off restores traffic exactly; a deploy in maintenance is tested on its own URL', async () => {
    const { production: v1 } = await shipToProduction('v1');
    const on = await runMaintenance(
      h.config,
      { environment: 'production', on: true, message: 'DB upgrade', until: '2026-01-07T12:00:00Z' },
      h.deps(),
    );
    expect(on.service.maintenance).toEqual({ message: 'DB upgrade', until: '2026-01-07T12:00:00Z' });
    const sha = await h.commit('v2');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    const deployed = await runDeploy(
      h.config,
      { environment: 'production', commit: sha, steps: [10, 100] },
      h.deps(),
    );
    expect(deployed.outcome).toBe('success');
    expect(h.seen.some((e) => e.name === 'analysis:probes' && e.payload.revision === deployed.revision)).toBe(
      true,
    );
    const off = await runMaintenance(h.config, { environment: 'production', on: false }, h.deps());
    expect(off.service.maintenance).toBeUndefined();
    expect(off.service.traffic).toEqual([{ revision: deployed.revision, percent: 100 }]);
    expect(v1.revision).not.toBe(deployed.revision);
    const actions = h.audit.list({ environment: 'production' }).map((e) => e.action);
    expect(actions).toContain('maintenance.on');
    expect(actions).toContain('maintenance.off');
  });

  it('keeps secrets in a note out of the audit trail', async () => {
    const sha = await h.commit('feature');
    await runDeploy(
      h.config,
      { environment: 'staging', commit: sha, note: 'rotated DB_PASSWORD=hunter2-very-secret' },
      h.deps(),
    );
    const trail = JSON.stringify(h.audit.list());
    expect(trail).not.toContain('hunter2');
    const labels = JSON.stringify((await h.platform.listRevisions('staging')).map((r) => r.labels));
    expect(labels).toContain('DB_PASSWORD=[redacted]');
    expect(labels).not.toContain('hunter2');
    expect(JSON.stringify(h.ops.list({ environment: 'staging' }))).not.toContain('hunter2');
  });

  it('keeps the last N known-good revisions as rollback targets and retires older ones', async () => {
    const small = await createPipelineHarness({ deploy: { keepRevisions: 1 } });
    try {
      const revisions: string[] = [];
      for (const name of ['v1', 'v2', 'v3']) {
        const sha = await small.commit(name);
        revisions.push(
          (await runDeploy(small.config, { environment: 'staging', commit: sha }, small.deps())).revision!,
        );
      }
      const verdicts = small.store.latestVerdicts('staging');
      const verdictOf = (r: string) => verdicts.find((x) => x.revision === r)!.verdict;
      expect(revisions.map(verdictOf)).toEqual(['retired', 'known-good', 'known-good']);
      const rolled = await runRollback(small.config, { environment: 'staging' }, small.deps());
      expect(rolled.to).toBe(revisions[1]);
    } finally {
      small.cleanup();
    }
  });
});
