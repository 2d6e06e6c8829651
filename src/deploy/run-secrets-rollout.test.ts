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

describe('secrets rollout (the ServiceRoller the secrets domain calls)', () => {
  it('starts the serving release again with the new pins, moves traffic, watches, retires the old revision', async () => {
    const sha = await h.commit('v1');
    const v1 = await runDeploy(h.config, { environment: 'staging', commit: sha }, h.deps());
    // `secrets rotate` holds the lock while it calls the roller.
    const result = await withEnvironmentLock(
      h.state,
      { environment: 'staging', operation: 'secrets rotate', owner: 'tester', clock: h.clock },
      () => runSecretsRollout(h.config, { environment: 'staging', pins: { DB_PASSWORD: 2 } }, h.deps()),
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

  it('skips when nothing serves yet: no revision holds the previous version', async () => {
    const result = await runSecretsRollout(
      h.config,
      { environment: 'staging', pins: { JWT_SECRET: 3 } },
      h.deps(),
    );
    expect(result).toEqual({ ok: true, skipped: 'staging serves no revision yet', previousRetired: true });
  });
});
