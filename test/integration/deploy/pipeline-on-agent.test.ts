import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployEvents, runDeploy, runMaintenance, runRollback } from '../../../src/deploy/index.js';
import { isProdguardError } from '../../../src/kernel/errors.js';
import { APP_FILES, createDeployFixture, type DeployFixture, startLoad } from './deploy-fixture.js';

// The pipeline on the real local agent: real processes, real router, real HTTP probes and smoke test.
describe('deploy pipeline on the local agent', () => {
  let f: DeployFixture;
  let v1: string;
  let v1Revision: string;

  beforeAll(async () => {
    f = await createDeployFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('deploys to staging (smoke test on the revision URL, probes while quiet) and promotes the same release', async () => {
    v1 = await f.commit({ version: 'v1' });
    const staging = await runDeploy(f.config, { environment: 'staging', commit: v1 }, f.deps());
    expect(staging.message).toMatch(/is serving 100 % of staging and is known-good/);
    expect(staging.outcome).toBe('success');
    const steps = Object.fromEntries(staging.steps.map((s) => [s.name, s.status]));
    expect(steps).toMatchObject({
      smoke: 'Success',
      'traffic-100': 'Success',
      watch: 'Success',
      verify: 'Success',
    });
    const production = await runDeploy(f.config, { environment: 'production', commit: v1 }, f.deps());
    expect(production.outcome).toBe('success');
    expect(production.tag).toMatch(/^v\d{8}-\d{4}$/);
    expect(await f.repo.git('cat-file', '-t', production.tag!)).toBe('tag');
    v1Revision = production.revision!;
    const service = await f.platform.getService('production');
    const response = await fetch(`${service.url}/`);
    expect(await response.text()).toBe('v1\n');
    expect(response.headers.get('x-prodguard-revision')).toBe(v1Revision);
  });

  it('refuses to promote a release staging never verified', async () => {
    const unverified = await f.commit({ version: 'v1.1' });
    const result = await runDeploy(f.config, { environment: 'production', commit: unverified }, f.deps());
    expect(result.outcome).toBe('refused');
    expect(result.verdicts.find((v) => v.id === 'staging-first')!.message).toMatch(
      /^commit [0-9a-f]{7} has no verified release on staging \(decided before building\)$/,
    );
  });

  it('a release failing half its production requests is caught by the canary and rolled back under load', async () => {
    const v2 = await f.commit({ version: 'v2', failRate: 0.5, failIn: 'production' });
    expect((await runDeploy(f.config, { environment: 'staging', commit: v2 }, f.deps())).outcome).toBe(
      'success',
    );
    const service = await f.platform.getService('production');
    const load = startLoad(service.url, { concurrency: 4, maxMs: 40_000 });
    const result = await runDeploy(f.config, { environment: 'production', commit: v2 }, f.deps());
    const counts = await load.stop();
    expect(result.outcome).toBe('rolled-back');
    expect(result.breaches[0]).toMatchObject({ metric: 'errorRate', threshold: 0.05, windowMs: 3000 });
    expect(result.breaches[0]!.value).toBeGreaterThan(0.3);
    expect((await f.platform.getService('production')).traffic).toEqual([
      expect.objectContaining({ revision: v1Revision, percent: 100 }),
    ]);
    const after = await fetch(`${service.url}/`);
    expect(await after.text()).toBe('v1\n');
    // Only the canary's share failed, and only until the switch back.
    expect(counts.failed).toBeGreaterThan(0);
    expect(counts.failed).toBeLessThan(counts.sent * 0.2);
    expect(f.audit.list().at(-1)).toMatchObject({ action: 'deploy', outcome: 'rolled-back' });
    // The failure revokes its staging verification: the same release is not deployed again on it.
    const again = await runDeploy(f.config, { environment: 'production', commit: v2 }, f.deps());
    expect(again.outcome).toBe('refused');
    expect(again.verdicts.find((v) => v.id === 'staging-first')!.message).toContain(
      `failed on production at`,
    );
    expect(f.store.latestVerdicts('staging')[0]).toMatchObject({
      verdict: 'failed',
      details: { releaseFailedOn: 'production' },
    });
  });

  it('a revision that never becomes ready fails without taking traffic', async () => {
    const broken = await f.commit({ version: 'v3', neverHealthy: true });
    const result = await runDeploy(f.config, { environment: 'staging', commit: broken }, f.deps());
    expect(result.outcome).toBe('failed');
    expect(result.message).toMatch(/never took traffic/);
    const staging = await f.platform.getService('staging');
    expect(staging.traffic.map((t) => t.revision)).not.toContain(result.revision);
  });

  it('maintenance keeps traffic and restores it; rollback restarts a retired known-good revision', async () => {
    const before = (await f.platform.getService('production')).traffic;
    await runMaintenance(f.config, { environment: 'production', on: true, message: 'upgrade' }, f.deps());
    const url = (await f.platform.getService('production')).url;
    const closed = await fetch(`${url}/`, { headers: { accept: 'application/json' } });
    expect(closed.status).toBe(503);
    await closed.arrayBuffer();
    const off = await runMaintenance(f.config, { environment: 'production', on: false }, f.deps());
    expect(off.service.traffic).toEqual(before);

    const v4 = await f.commit({ version: 'v4' });
    await runDeploy(f.config, { environment: 'staging', commit: v4 }, f.deps());
    const promoted = await runDeploy(f.config, { environment: 'production', commit: v4 }, f.deps());
    expect(promoted.outcome).toBe('success');
    expect((await f.platform.getRevision('production', v1Revision)).state).toBe('stopped');
    const rolled = await runRollback(f.config, { environment: 'production' }, f.deps());
    expect(rolled.to).toBe(v1Revision);
    const response = await fetch(`${url}/`);
    expect(await response.text()).toBe('v1\n');
  });

  it('a deploy in maintenance is tested at its own URL while the page stays up, and serves once reopened', async () => {
    const v5 = await f.commit({ version: 'v5' });
    expect((await runDeploy(f.config, { environment: 'staging', commit: v5 }, f.deps())).outcome).toBe(
      'success',
    );
    await runMaintenance(f.config, { environment: 'production', on: true, message: 'upgrade' }, f.deps());
    const result = await runDeploy(f.config, { environment: 'production', commit: v5 }, f.deps());
    expect(result.outcome).toBe('success');
    const service = await f.platform.getService('production');
    const page = await fetch(`${service.url}/`);
    expect(page.status).toBe(503);
    await page.arrayBuffer();
    const direct = await fetch(`${(await f.platform.getRevision('production', result.revision!)).url}/`);
    expect(await direct.text()).toBe('v5\n');
    await runMaintenance(f.config, { environment: 'production', on: false }, f.deps());
    expect(await (await fetch(`${service.url}/`)).text()).toBe('v5\n');
  });

  it('two deploys to one environment at once: the second is refused naming the holder', async () => {
    const v6 = await f.commit({ version: 'v6' });
    const events = new DeployEvents();
    const planned = new Promise<void>((resolve) => events.on('deploy:plan', () => resolve()));
    const first = runDeploy(f.config, { environment: 'staging', commit: v6 }, f.deps({ events }));
    await planned;
    const second = await runDeploy(f.config, { environment: 'staging', commit: v6 }, f.deps()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isProdguardError(second) && second.code).toBe('PRODGUARD_LOCK_HELD');
    expect((second as Error).message).toMatch(
      /Environment staging is locked by "deploy [0-9a-f]{12}" \(tester@example.com, pid \d+/,
    );
    expect((await first).outcome).toBe('success');
  });
  it("the smoke test of deploy --commit X is release X's own, not the working tree's", async () => {
    const good = await f.commit({ version: 'v7' });
    // A later commit (checked out in the working tree) whose smoke script fails.
    f.repo.write('smoke.mjs', 'process.exit(9)\n');
    await f.repo.commitAll('a smoke script that fails');
    const result = await runDeploy(f.config, { environment: 'staging', commit: good }, f.deps());
    expect(result.steps.find((s) => s.name === 'smoke')!.status).toBe('Success');
    expect(result.outcome).toBe('success');
    f.repo.write('smoke.mjs', APP_FILES['smoke.mjs']);
    await f.repo.commitAll('restore the smoke script');
  });
});
