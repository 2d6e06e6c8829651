import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGcp } from '../../fakes/gcp/index.js';
import { runProdguard } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/git-repo.js';
import { APP_FILES, appConfig } from '../deploy/deploy-fixture.js';

const PROJECT = 'cvstomize-prod';
const REGION = 'us-central1';

// The real deploy pipeline (dist/ CLI: `prodguard deploy`) on two Cloud Run environments served by the
// loopback fake: staging first, then production, then a bad release rolled back by the canary analysis.
// Real time: the fake's Monitoring has no ingestion lag here and metricsLag is 0s, so a test takes
// seconds; docs/gcp.md explains the 3-minute lag of the real service.
describe('prodguard deploy on Cloud Run (real CLI, Google APIs faked over HTTP)', () => {
  let repo: TempRepo;
  let fake: FakeGcp;
  const cli = (...args: string[]) =>
    runProdguard(args, {
      cwd: repo.dir,
      env: {
        PRODGUARD_ACTOR: 'releaser@example.com',
        PRODGUARD_GCP_ENDPOINT: fake.url,
        PRODGUARD_GCP_TOKEN: 'fake-token',
      },
      timeoutMs: 120_000,
    });
  const cloudrun = (service: string) => `    platform:
      kind: cloudrun
      project: ${PROJECT}
      region: ${REGION}
      service: ${service}
      image: us-docker.pkg.dev/${PROJECT}/app/api:{commit}
      maintenanceImage: us-docker.pkg.dev/${PROJECT}/app/maintenance:1
      metricsLag: 0s
`;

  beforeAll(async () => {
    fake = await FakeGcp.start({ now: () => new Date(), run: { readyAfterPolls: 1 } });
    fake.monitoring.ingestionLagMs = 0;
    for (const service of ['api', 'api-staging'])
      fake.run.seedService(`projects/${PROJECT}/locations/${REGION}/services/${service}`, {
        containers: [{ image: `us-docker.pkg.dev/${PROJECT}/app/api:v0` }],
      });
    const config = appConfig(4999, '')
      .replace(
        /environments:[\s\S]*$/,
        `environments:
  staging:
    protected: true
${cloudrun('api-staging')}  production:
    requires: staging
${cloudrun('api')}`,
      )
      .concat(`deploy:
  strategy: canary
  steps: [20, 100]
  stepDuration: 2s
  smoke: { command: node smoke.mjs, timeout: 20s }
  analysis:
    interval: 500ms
    window: 3s
    consecutiveBreaches: 2
    minRequests: 5
    holdTimeout: 8s
    probePaths: [/, /health]
`);
    repo = await createTempRepo({
      ...APP_FILES,
      'behavior.json': '{ "version": "v1" }\n',
      'prodguard.yaml': config,
    });
  }, 120_000);
  afterAll(async () => {
    await fake.close();
    repo?.cleanup();
  });

  it('deploys staging, then the same release to production, on Cloud Run', async () => {
    const staging = await cli('deploy', 'staging');
    expect(staging.stderr + staging.stdout).toContain('verified');
    expect(staging.exitCode).toBe(0);
    const prod = await cli('deploy', 'production');
    expect(prod.exitCode, prod.stderr + prod.stdout).toBe(0);
    const service = fake.run.services.get(`projects/${PROJECT}/locations/${REGION}/services/api`)!;
    const serving = service.trafficStatuses.filter((s) => (s.percent ?? 0) > 0);
    expect(serving).toHaveLength(1);
    expect(serving[0]!.revision).toMatch(/^api-\d{5}-[a-z]{3}$/);
    // Every traffic write pinned revisions by name and carried the etag and a mask.
    const patches = fake.http.log.filter((l) => l.method === 'PATCH' && l.path.endsWith('/services/api'));
    expect(patches.length).toBeGreaterThanOrEqual(3);
    for (const p of patches) {
      expect(p.query).toMatch(/updateMask=/);
      expect((p.body as { etag?: string }).etag).toBeDefined();
      expect(JSON.stringify(p.body)).not.toContain('TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST');
    }
  });

  it('rolls a bad release back from its canary step', async () => {
    repo.write('behavior.json', '{ "version": "v2" }\n');
    await repo.commitAll('v2');
    const staging = await cli('deploy', 'staging');
    expect(staging.exitCode, staging.stderr + staging.stdout).toBe(0);
    const before = structuredClone(
      fake.run.services
        .get(`projects/${PROJECT}/locations/${REGION}/services/api`)!
        .trafficStatuses.filter((s) => (s.percent ?? 0) > 0),
    );
    fake.run.failNextRevisions = 1;
    const prod = await cli('deploy', 'production');
    expect(prod.exitCode, prod.stderr + prod.stdout).toBe(3);
    // It passed its smoke test (/version) and was caught by the analysis of real traffic at 20 %.
    expect(prod.stdout + prod.stderr).toContain('during canary 20 %');
    const after = fake.run.services
      .get(`projects/${PROJECT}/locations/${REGION}/services/api`)!
      .trafficStatuses.filter((s) => (s.percent ?? 0) > 0);
    expect(after.map((s) => [s.revision, s.percent])).toEqual(before.map((s) => [s.revision, s.percent]));
  });

  it('maintenance on serves a tagged maintenance revision; off restores the split exactly', async () => {
    const name = `projects/${PROJECT}/locations/${REGION}/services/api`;
    const serving = () =>
      fake.run.services
        .get(name)!
        .trafficStatuses.filter((s) => (s.percent ?? 0) > 0)
        .map((s) => [s.revision, s.percent]);
    const before = serving();
    const on = await cli('maintenance', 'on', 'production', '--message', 'Back at 11:00');
    expect(on.exitCode, on.stderr + on.stdout).toBe(0);
    const maintenance = fake.run.services.get(name)!.traffic.find((t) => t.tag === 'maintenance')!.revision!;
    expect(serving()).toEqual([[maintenance, 100]]);
    const off = await cli('maintenance', 'off', 'production');
    expect(off.exitCode, off.stderr + off.stdout).toBe(0);
    expect(serving()).toEqual(before);
  });
});
