import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runtimeCheckName } from '../config/runtime-fingerprint.js';
import { runDeploy } from './run-deploy.js';
import { createPipelineHarness, HARNESS_CONFIG, type PipelineHarness } from './testing/pipeline-harness.js';

// The E2E script: records what it saw (BASE_URL, the revision, which variables reached it) and fails on demand.
const E2E_SCRIPT = `import { appendFileSync, existsSync } from 'node:fs';
appendFileSync('e2e-runs.jsonl', JSON.stringify({
  baseUrl: process.env.BASE_URL,
  revision: process.env.PRODGUARD_REVISION,
  environment: process.env.PRODGUARD_ENVIRONMENT,
  sawSecret: process.env.VAULT_KEY !== undefined,
}) + '\\n');
if (existsSync('fail-e2e')) { console.error('checkout flow: expected 200, got 500'); process.exit(4); }
console.log('12 e2e scenarios passed');
`;
const E2E_TESTS = `tests:
  command: node --version
  e2e:
    name: browser
    command: "${process.execPath} e2e.mjs"
    timeout: 30s
`;

let h: PipelineHarness;
const runs = () =>
  existsSync(join(h.dir, 'e2e-runs.jsonl'))
    ? readFileSync(join(h.dir, 'e2e-runs.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];
// The fenced environment gets PATH and HOME of the deploy's environment, nothing else of it.
const deps = () => h.deps({ env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', VAULT_KEY: 'k3y' } });

beforeEach(async () => {
  h = await createPipelineHarness({ configText: `${HARNESS_CONFIG}${E2E_TESTS}` });
  writeFileSync(join(h.dir, 'e2e.mjs'), E2E_SCRIPT);
  // Untracked files of the test itself: the builder does not look at them.
  writeFileSync(join(h.dir, '.git', 'info', 'exclude'), 'e2e-runs.jsonl\nfail-e2e\n');
  h.platform.setLoad('staging', 50);
  h.platform.setLoad('production', 100);
});
afterEach(() => h.cleanup());

describe('the E2E tier on staging', () => {
  it('staging runs the E2E suite against the new revision after smoke, before traffic; the verification records it', async () => {
    const sha = await h.commit('feature');
    const result = await runDeploy(h.config, { environment: 'staging', commit: sha }, deps());
    expect(result.outcome).toBe('success');
    expect(result.steps.map((s) => s.name)).toEqual([
      'create-revision',
      'wait-ready',
      'smoke',
      'e2e',
      'traffic-100',
      'watch',
      'verify',
      'retire',
    ]);
    expect(
      h.seen.find((e) => e.name === 'step:finished' && e.payload.step === 'e2e')!.payload.detail,
    ).toMatch(/^browser: `.* e2e\.mjs` passed in/);
    const revision = await h.platform.getRevision('staging', result.revision!);
    expect(runs()).toEqual([
      { baseUrl: revision.url, revision: result.revision, environment: 'staging', sawSecret: false },
    ]);
    expect(h.store.latestVerification('staging', h.digestOf(sha))!.checks).toEqual([
      'wait-ready',
      'smoke',
      'e2e:browser',
      'watch',
      runtimeCheckName(h.config.app),
    ]);

    // Production requires it, and finds it; production itself does not run the suite.
    const production = await runDeploy(h.config, { environment: 'production', commit: sha }, deps());
    expect(production.outcome).toBe('success');
    expect(production.steps.map((s) => s.name)).not.toContain('e2e');
    expect(runs()).toHaveLength(1);
  });

  it('a failing E2E suite fails the staging deploy before any traffic moves, and production stays refused', async () => {
    const first = await h.commit('good');
    expect((await runDeploy(h.config, { environment: 'staging', commit: first }, deps())).outcome).toBe(
      'success',
    );
    const before = await h.platform.getService('staging');
    const sha = await h.commit('broken checkout');
    writeFileSync(join(h.dir, 'fail-e2e'), '');
    const result = await runDeploy(h.config, { environment: 'staging', commit: sha }, deps());
    expect(result.outcome).toBe('failed');
    expect(result.message).toMatch(
      /never took traffic: E2E suite browser `.* e2e\.mjs` against http:\/\/\S+ exited 4:\n[\s\S]*checkout flow: expected 200, got 500/,
    );
    expect(result.steps.find((s) => s.name === 'e2e')!.status).toBe('Error');
    expect((await h.platform.getService('staging')).traffic).toEqual(before.traffic);
    expect(h.platform.trafficLog.some((t) => t.traffic.some((x) => x.revision === result.revision))).toBe(
      false,
    );
    expect(h.store.latestVerdicts('staging')[0]).toMatchObject({
      revision: result.revision,
      verdict: 'failed',
    });
    expect(h.store.latestVerification('staging', h.digestOf(sha))).toBeUndefined();
    rmSync(join(h.dir, 'fail-e2e'));
    const production = await runDeploy(h.config, { environment: 'production', commit: sha }, deps());
    expect(production.outcome).toBe('refused');
  });

  it('production is refused when the staging verification of the digest lacks the E2E pass, and the refusal names the suite', async () => {
    const sha = await h.commit('feature');
    // Verified on staging before the E2E suite was configured.
    const { e2e: _e2e, ...withoutE2e } = h.config.tests!;
    const before = { ...h.config, tests: withoutE2e };
    const staging = await runDeploy(before, { environment: 'staging', commit: sha }, deps());
    expect(staging.outcome).toBe('success');
    expect(staging.steps.map((s) => s.name)).not.toContain('e2e');
    expect(h.store.latestVerification('staging', h.digestOf(sha))!.checks).toEqual([
      'wait-ready',
      'smoke',
      'watch',
      runtimeCheckName(h.config.app),
    ]);

    const refused = await runDeploy(h.config, { environment: 'production', commit: sha }, deps());
    expect(refused.outcome).toBe('refused');
    const verdict = refused.verdicts.find((v) => v.id === 'staging-first')!;
    expect(verdict.status).toBe('fail');
    expect(verdict.message).toBe(
      `release ${h.digestOf(sha).slice(7, 19)} (commit ${sha.slice(0, 7)}) was verified on staging without the E2E suite browser (its checks: wait-ready, smoke, watch, ${runtimeCheckName(h.config.app)})`,
    );
    expect(verdict.hint).toContain(`prodguard deploy staging --commit ${sha.slice(0, 12)}`);
    expect(refused.message).toBe('Deploy to production refused by staging-first.');

    // Where the commit was never built, the same refusal comes before building, still naming the suite.
    const unbuilt = h.deps({ env: deps().env });
    const builder = unbuilt.builder;
    let builds = 0;
    const early = await runDeploy(
      h.config,
      { environment: 'production', commit: sha },
      {
        ...unbuilt,
        builder: {
          peek: async (commitish) => ({ commit: (await builder.peek(commitish)).commit }),
          build: async (commitish, signal) => {
            builds++;
            return builder.build(commitish, signal);
          },
        },
      },
    );
    expect(early.outcome).toBe('refused');
    expect(builds).toBe(0);
    expect(early.verdicts.find((v) => v.id === 'staging-first')!.message).toBe(
      `commit ${sha.slice(0, 7)} was verified on staging without the E2E suite browser (decided before building)`,
    );

    // Redeployed on staging, the suite runs against it; then production accepts the same digest.
    const again = await runDeploy(h.config, { environment: 'staging', commit: sha }, deps());
    expect(again.outcome).toBe('success');
    expect(runs()).toHaveLength(1);
    const production = await runDeploy(h.config, { environment: 'production', commit: sha }, deps());
    expect(production.outcome).toBe('success');
  });
});

describe('who runs the release scripts', () => {
  it('refuses to run the E2E suite as the revisions user without the release folder, instead of as root', async () => {
    const placed: string[] = [];
    const scripts = {
      user: { name: 'nobody', uid: 65534, switched: true },
      place: async (environment: string, dir: string) => {
        placed.push(`${environment}:${dir}`);
        return { dir, env: {} };
      },
    };
    const sha = await h.commit('first');
    const result = await runDeploy(h.config, { environment: 'staging', commit: sha }, { ...deps(), scripts });
    expect(result.outcome).toBe('failed');
    expect(result.message).toMatch(
      /never took traffic: E2E suite browser `.*` would run as nobody from the release's files, but this deploy has none/,
    );
    expect(placed).toEqual([]);
    expect(runs()).toEqual([]);
  });

  it('runs the scripts from the placement the sandbox gives for the environment and the release', async () => {
    const placed: string[] = [];
    const scripts = {
      user: { name: 'nobody', uid: 65534, switched: true },
      // Not root in this test: the placement keeps prodguard's user, its folder is the release's.
      place: async (environment: string, dir: string) => {
        placed.push(`${environment}:${dir}`);
        return { dir: h.dir, env: { HOME: '/placed-home' } };
      },
    };
    const builder = {
      build: async (commit: string) => ({ ...(await h.deps().builder.build(commit)), dir: '/the-artifact' }),
      peek: h.deps().builder.peek,
    };
    const sha = await h.commit('first');
    const result = await runDeploy(
      h.config,
      { environment: 'staging', commit: sha },
      { ...deps(), scripts, builder },
    );
    expect(result.outcome, result.message).toBe('success');
    expect(placed).toEqual(['staging:/the-artifact']);
    expect(runs()).toHaveLength(1);
  });
});
