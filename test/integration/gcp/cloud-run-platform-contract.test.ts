import { runPlatformContract } from '../../../src/deploy/testing/platform-contract.js';
import { CloudRunPlatform } from '../../../src/gcp/cloudrun/cloud-run-platform.js';
import { createRestTransport } from '../../../src/gcp/transport/index.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { FakeGcp } from '../../fakes/gcp/index.js';

// The deploy domain's Platform contract, run against the Cloud Run adapter over the loopback fake of the
// Cloud Run Admin API v2 (and Monitoring v3 for metrics). Time is a ManualClock shared with the fake.
runPlatformContract('Cloud Run (CloudRunPlatform over the Admin API v2 fake)', async () => {
  const clock = new ManualClock('2026-03-04T10:00:00Z');
  const fake = await FakeGcp.start({ now: () => clock.now(), run: { readyAfterPolls: 2 } });
  fake.run.seedService('projects/p1/locations/europe-west1/services/api-staging', {
    containers: [
      {
        image: 'europe-docker.pkg.dev/p1/app/api:bootstrap',
        env: [{ name: 'NODE_ENV', value: 'production' }],
      },
    ],
  });
  const transport = createRestTransport({ token: async () => 'test', clock, baseUrl: fake.baseUrl });
  let suffix = 0;
  const platform = new CloudRunPlatform({
    transport,
    clock,
    environments: { staging: { project: 'p1', region: 'europe-west1', service: 'api-staging' } },
    image: (release) => `europe-docker.pkg.dev/p1/app/api:${release.commit}`,
    maintenanceImage: 'europe-docker.pkg.dev/p1/app/maintenance:1',
    pollIntervalMs: 100,
    randomLetters: () => ['abc', 'def', 'ghi', 'jkl', 'mno', 'pqr', 'stu'][suffix++ % 7]!,
  });
  let n = 0;
  const spec = (commit: string) => ({
    service: 'staging',
    release: { commit, digest: `sha256-${commit}` },
    env: { APP_MODE: 'test' },
  });
  return {
    platform,
    service: 'staging',
    healthySpec: () => spec(`c${n++}`),
    neverReadySpec: () => spec(`unhealthy-${n++}`),
    readyTimeoutMs: 10_000,
    neverReadyTimeoutMs: 1_000,
    cleanup: () => fake.close(),
  };
});
