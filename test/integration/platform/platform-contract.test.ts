import { join } from 'node:path';
import { runPlatformContract } from '../../../src/deploy/testing/platform-contract.js';
import { systemClock } from '../../../src/kernel/clock.js';
import { nodeProcessRunner } from '../../../src/kernel/process-runner.js';
import { buildRelease } from '../../../src/platform/local/build-release.js';
import { createPlatformFixture } from './platform-fixture.js';

// The deploy domain's Platform contract, run against the real agent over HTTP.
runPlatformContract('local agent (LocalPlatform over HTTP)', async () => {
  const f = await createPlatformFixture();
  const specFor = async (behavior: Record<string, unknown>) => {
    const sha = await f.commit(behavior);
    const built = await buildRelease({
      commit: sha,
      repoDir: f.repo.dir,
      artifactsDir: join(f.repo.dir, '.prodguard/artifacts'),
      buildCommand: 'echo built > BUILD_INFO',
      processes: nodeProcessRunner,
      clock: systemClock,
    });
    return { service: 'staging', release: { commit: built.commit, digest: built.digest }, env: {} };
  };
  let n = 0;
  return {
    platform: f.platform,
    service: 'staging',
    healthySpec: () => specFor({ version: `h${n++}` }),
    neverReadySpec: () => specFor({ version: `sick${n++}`, unhealthy: true }),
    readyTimeoutMs: 10_000,
    neverReadyTimeoutMs: 1_000,
    cleanup: () => f.close(),
  };
});
