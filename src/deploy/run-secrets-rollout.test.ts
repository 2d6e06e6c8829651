import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withEnvironmentLock } from '../store/index.js';
import { runDeploy } from './run-deploy.js';
import { runSecretsRollout } from './run-secrets-rollout.js';
import { createPipelineHarness, type PipelineHarness } from './testing/pipeline-harness.js';

let h: PipelineHarness;
beforeEach(async () => {
  h = await createPipelineHarness();
  h.platform.setLoad('staging', 50);
});
afterEach(() => h.cleanup());

/** The rotation a rollout belongs to: rollouts are its child operations. */
function parentRotation(environment: string): string {
  return h.ops.begin({
    kind: 'secrets-rotation',
    environment,
    actor: 'tester',
    params: { name: 'DB_PASSWORD', kind: 'random', strategy: 'regenerate', fromVersion: 1, role: null },
    state: {},
    audit: { action: 'secrets.rotate', target: 'DB_PASSWORD' },
  }).op.id;
}

describe('secrets rollout (the ServiceRoller the secrets domain calls)', () => {
  it('starts the serving release again with the new pins, moves traffic, watches, retires the old revision', async () => {
    const sha = await h.commit('v1');
    const v1 = await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    // `secrets rotate` holds the lock while it calls the roller.
    const result = await withEnvironmentLock(
      h.state,
      { environment: 'staging', operation: 'secrets rotate', owner: 'tester', clock: h.clock },
      () =>
        runSecretsRollout(
          h.config,
          { environment: 'staging', pins: { DB_PASSWORD: 2 }, parentId: parentRotation('staging') },
          h.deps(),
        ),
    );
    expect(result.ok).toBe(true);
    const revision = await h.platform.getRevision('staging', result.revision!);
    expect(revision.secretVersions).toEqual({ DB_PASSWORD: 2 });
    expect(revision.release).toEqual({ commit: sha, digest: h.digestOf(sha) });
    expect((await h.platform.getService('staging')).traffic).toEqual([
      { revision: result.revision, percent: 100 },
    ]);
    expect((await h.platform.getRevision('staging', v1.revision!)).state).toBe('stopped');
  });

  it('refuses on production when app.start changed since staging verified the serving release', async () => {
    const sha = await h.commit('v1');
    expect((await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps())).outcome).toBe(
      'success',
    );
    const serving = await runDeploy(h.config, { environment: 'production', commit: sha }, h.deps());
    expect(serving.outcome).toBe('success');
    const edited = { ...h.config, app: { ...h.config.app, start: 'node other-entry.js' } };
    const rollout = (config: typeof h.config, environment: string) =>
      withEnvironmentLock(
        h.state,
        { environment, operation: 'secrets rotate', owner: 'tester', clock: h.clock },
        () =>
          runSecretsRollout(
            config,
            { environment, pins: { DB_PASSWORD: 2 }, parentId: parentRotation(environment) },
            h.deps(),
          ),
      );
    const refused = await rollout(edited, 'production');
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(
      /^the release production serves \(commit \w{12}\) was verified on staging as runtime:\w{12}, but prodguard\.yaml now runs it as runtime:\w{12} .* Deploy it to staging with this configuration first/,
    );
    expect((await h.platform.getService('production')).traffic).toEqual([
      { revision: serving.revision, percent: 100 },
    ]);
    expect((await h.platform.listRevisions('production')).length).toBe(1);
    // Staging requires nothing: its rollout runs the new configuration, and its watch verifies it there.
    expect((await rollout(edited, 'staging')).ok).toBe(true);
    // Now staging verified the release as production would run it: production rotates.
    expect((await rollout(edited, 'production')).ok).toBe(true);
  });

  it('skips when nothing serves yet: no revision holds the previous version', async () => {
    const result = await runSecretsRollout(
      h.config,
      { environment: 'staging', pins: { JWT_SECRET: 3 }, parentId: parentRotation('staging') },
      h.deps(),
    );
    expect(result).toEqual({ ok: true, skipped: 'staging serves no revision yet', previousRetired: true });
  });

  it('never hands the app an admin credential, whatever the pins say', async () => {
    const sha = await h.commit('v1');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    const deps = h.deps({ isAdminSecret: (name) => name.endsWith('_ADMIN') });
    const result = await withEnvironmentLock(
      h.state,
      { environment: 'staging', operation: 'secrets rotate', owner: 'tester', clock: h.clock },
      () =>
        runSecretsRollout(
          h.config,
          {
            environment: 'staging',
            pins: { DATABASE_URL: 2, DATABASE_URL_ADMIN: 1 },
            parentId: parentRotation('staging'),
          },
          deps,
        ),
    );
    expect(result.ok).toBe(true);
    const revision = await h.platform.getRevision('staging', result.revision!);
    expect(revision.secretVersions).toEqual({ DATABASE_URL: 2 });
  });

  it('is a child of its rotation: a rollout left running is resumed, not started twice', async () => {
    const sha = await h.commit('v1');
    await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    const parentId = parentRotation('staging');
    const lock = { environment: 'staging', operation: 'secrets rotate', owner: 'tester', clock: h.clock };
    // The first attempt freezes for ever right after creating its revision, as a SIGKILL would leave it.
    const frozen = new Promise<void>((reached) => {
      h.platform.afterAct = (method) => {
        if (method !== 'createRevision') return;
        reached();
        return new Promise<void>(() => {});
      };
    });
    void withEnvironmentLock(h.state, lock, () =>
      runSecretsRollout(h.config, { environment: 'staging', pins: { DB_PASSWORD: 2 }, parentId }, h.deps()),
    );
    await frozen;
    h.platform.afterAct = undefined;
    h.clock.advance(2 * 3_600_000);
    const children = h.ops.children(parentId);
    expect(children).toHaveLength(1);
    expect(children[0]!.status).toBe('running');
    const result = await withEnvironmentLock(h.state, lock, () =>
      runSecretsRollout(h.config, { environment: 'staging', pins: { DB_PASSWORD: 2 }, parentId }, h.deps()),
    );
    expect(result.ok).toBe(true);
    expect(h.ops.children(parentId).map((c) => c.id)).toEqual([children[0]!.id]);
    expect(h.ops.get(children[0]!.id)!.status).toBe('succeeded');
  });
});
