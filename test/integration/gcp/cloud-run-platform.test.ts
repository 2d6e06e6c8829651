import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudRunPlatform } from '../../../src/gcp/cloudrun/cloud-run-platform.js';
import { createRestTransport, PlanTransport, renderPlan } from '../../../src/gcp/transport/index.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { FakeGcp } from '../../fakes/gcp/index.js';

const SVC = 'projects/p1/locations/europe-west1/services/api';

describe('CloudRunPlatform request shapes and failure handling', () => {
  let clock: ManualClock;
  let fake: FakeGcp;
  let platform: CloudRunPlatform;
  let suffix: number;
  const make = (transport = createRestTransport({ token: async () => 't', clock, baseUrl: fake.baseUrl })) =>
    new CloudRunPlatform({
      transport,
      clock,
      environments: { production: { project: 'p1', region: 'europe-west1', service: 'api' } },
      image: (r) => `europe-docker.pkg.dev/p1/app/api:${r.commit}`,
      maintenanceImage: 'europe-docker.pkg.dev/p1/app/maintenance:1',
      pollIntervalMs: 1_000,
      metricsLagMs: 180_000,
      randomLetters: () => ['kqz', 'mnb', 'xyz', 'opq'][suffix++ % 4]!,
    });
  const patches = () => fake.http.log.filter((l) => l.method === 'PATCH');

  beforeEach(async () => {
    clock = new ManualClock('2026-03-04T10:00:00Z');
    suffix = 0;
    fake = await FakeGcp.start({ now: () => clock.now(), run: { readyAfterPolls: 1 } });
    fake.run.seedService(SVC, {
      containers: [
        {
          image: 'img:old',
          env: [
            { name: 'NODE_ENV', value: 'production' },
            { name: 'OLD_SECRET', valueSource: { secretKeyRef: { secret: 'x', version: 'latest' } } },
          ],
        },
      ],
    });
    platform = make();
  });
  afterEach(() => fake.close());

  async function deploy(commit: string) {
    const rev = await platform.createRevision({
      service: 'production',
      release: { commit, digest: `d-${commit}` },
      env: { PORT_NAME: 'http' },
      secrets: { DATABASE_URL: { version: 7, envVar: 'DATABASE_URL' } },
    });
    await platform.waitReady('production', rev.name, 60_000);
    return rev.name;
  }

  it('deploys a new revision at 0 % with an explicit name, its tag, pinned traffic (never LATEST), updateMask and etag', async () => {
    const name = await deploy('abc123');
    expect(name).toBe('api-00002-kqz');
    const [patch] = patches();
    expect(patch!.query).toBe('?updateMask=template,traffic');
    const body = patch!.body as {
      etag: string;
      template: { revision: string; containers: { image: string; env: unknown[] }[] };
      traffic: unknown[];
    };
    expect(body.etag).toBe('"api-1"');
    expect(body.template.revision).toBe('api-00002-kqz');
    expect(body.template.containers[0]!.image).toBe('europe-docker.pkg.dev/p1/app/api:abc123');
    expect(body.template.containers[0]!.env).toEqual([
      { name: 'NODE_ENV', value: 'production' },
      { name: 'PORT_NAME', value: 'http' },
      {
        name: 'DATABASE_URL',
        valueSource: { secretKeyRef: { secret: 'production_DATABASE_URL', version: '7' } },
      },
    ]);
    expect(body.traffic).toEqual([
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'api-00001-cyw', percent: 100 },
      {
        type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
        revision: 'api-00002-kqz',
        tag: 'pg-00002-kqz',
        percent: 0,
      },
    ]);
    const rev = await platform.getRevision('production', name);
    expect(rev).toMatchObject({
      state: 'ready',
      secretVersions: { DATABASE_URL: 7 },
      release: { commit: 'abc123' },
    });
    expect(rev.url).toBe(`${fake.url}/__app/api/pg-00002-kqz`);
    expect((await platform.getService('production')).traffic).toEqual([
      { revision: 'api-00001-cyw', percent: 100 },
    ]);
  });

  it('moves a canary step with one PATCH of the whole list, keeping the tags', async () => {
    const name = await deploy('abc123');
    await platform.setTraffic('production', [
      { revision: 'api-00001-cyw', percent: 90 },
      { revision: name, percent: 10 },
    ]);
    const last = patches().at(-1)!;
    expect(last.query).toBe('?updateMask=traffic');
    expect((last.body as { traffic: unknown }).traffic).toEqual([
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'api-00001-cyw', percent: 90 },
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: name, percent: 10 },
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: name, tag: 'pg-00002-kqz', percent: 0 },
    ]);
    const service = fake.run.services.get(SVC)!;
    expect(service.trafficStatuses.find((s) => s.tag === 'pg-00002-kqz')?.uri).toContain(
      '/__app/api/pg-00002-kqz',
    );
  });

  it('re-reads and retries on a 409 etag conflict when the traffic did not change', async () => {
    const name = await deploy('abc123');
    fake.http.inject({ method: 'PATCH', status: 'ABORTED', message: 'etag mismatch' });
    await platform.setTraffic('production', [{ revision: name, percent: 100 }]);
    expect(
      patches()
        .slice(-2)
        .map((p) => p.status),
    ).toEqual([409, 200]);
    expect((await platform.getService('production')).traffic).toEqual([{ revision: name, percent: 100 }]);
  });

  it('does not overwrite traffic someone else changed in between', async () => {
    const name = await deploy('abc123');
    const service = fake.run.services.get(SVC)!;
    fake.http.inject({
      method: 'PATCH',
      status: 'ABORTED',
      onServe: () => {
        service.traffic = [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: name, percent: 100 }];
      },
    });
    await expect(
      platform.setTraffic('production', [{ revision: 'api-00001-cyw', percent: 100 }]),
    ).rejects.toMatchObject({
      code: 'PRODGUARD_GCP_CONFLICT',
    });
  });

  it('a revision that fails its startup probe fails waitReady and leaves traffic as it was', async () => {
    const rev = await platform.createRevision({
      service: 'production',
      release: { commit: 'unhealthy-1', digest: 'd' },
      env: {},
    });
    await expect(platform.waitReady('production', rev.name, 60_000)).rejects.toMatchObject({
      code: 'PRODGUARD_PLATFORM_NOT_READY',
      message: expect.stringContaining('failed to start and listen on the port'),
    });
    expect(fake.run.services.get(SVC)!.terminalCondition.state).toBe('CONDITION_FAILED');
    expect((await platform.getService('production')).traffic).toEqual([
      { revision: 'api-00001-cyw', percent: 100 },
    ]);
  });

  it('maintenance deploys a tagged maintenance revision, switches it to 100 % and restores the split exactly', async () => {
    const name = await deploy('abc123');
    await platform.setTraffic('production', [
      { revision: 'api-00001-cyw', percent: 80 },
      { revision: name, percent: 20 },
    ]);
    const on = await platform.setMaintenance('production', {
      message: 'Back at 3',
      until: '2026-03-04T15:00:00Z',
    });
    expect(on.maintenance).toEqual({ message: 'Back at 3', until: '2026-03-04T15:00:00Z' });
    const routing = fake.run.services.get(SVC)!.trafficStatuses.filter((s) => (s.percent ?? 0) > 0);
    expect(routing).toHaveLength(1);
    const maintenanceRevision = routing[0]!.revision!;
    const rev = fake.run.revisions.get(`${SVC}/revisions/${maintenanceRevision}`)!;
    expect(rev.resource.containers[0]!.image).toBe('europe-docker.pkg.dev/p1/app/maintenance:1');
    expect(fake.run.services.get(SVC)!.traffic.some((t) => t.tag === 'maintenance')).toBe(true);
    const off = await platform.setMaintenance('production', null);
    expect(off.maintenance).toBeUndefined();
    expect(off.traffic).toEqual([
      { revision: 'api-00001-cyw', percent: 80 },
      { revision: name, percent: 20 },
    ]);
    // The maintenance revision stays deployed at 0 % under its tag for next time.
    expect(fake.run.services.get(SVC)!.traffic.find((t) => t.tag === 'maintenance')).toMatchObject({
      percent: 0,
    });
    const before = patches().length;
    await platform.setMaintenance('production', { message: 'Back at 3', until: '2026-03-04T15:00:00Z' });
    expect(patches().length - before).toBe(1); // reused: one traffic switch, no new revision
  });

  it('reads request_count by response_code_class as a ratio and p95 per revision, ending the window at now − lag', async () => {
    const name = await deploy('abc123');
    const at = clock.nowMs() - 200_000;
    fake.monitoring.addRunTraffic({
      project: 'p1',
      service: 'api',
      revision: name,
      atMs: at,
      byClass: { '2xx': 90, '5xx': 10 },
      latenciesMs: [...Array(100).keys()].map((i) => i * 10),
    });
    fake.monitoring.addRunTraffic({
      project: 'p1',
      service: 'api',
      revision: 'api-00001-cyw',
      atMs: clock.nowMs() - 10_000,
      byClass: { '2xx': 50 },
    });
    const metrics = await platform.getMetrics('production', 60_000);
    const canary = metrics.find((m) => m.revision === name)!;
    expect(canary).toMatchObject({
      requests: 100,
      errorRate: 0.1,
      byStatus: { '2xx': 90, '5xx': 10 },
      p95Ms: 940,
    });
    // The stable revision's points are newer than the lag: not visible yet, so "no traffic", not "0 % errors".
    expect(metrics.find((m) => m.revision === 'api-00001-cyw')).toMatchObject({ requests: 0 });
    const query = fake.http.log.find((l) => l.path.endsWith('/timeSeries'))!.query;
    expect(decodeURIComponent(query)).toContain('aggregation.crossSeriesReducer=REDUCE_SUM');
    expect(decodeURIComponent(query)).toContain('interval.endTime=2026-03-04T09:57:00');
  });

  it('plans a deploy and a canary without changing anything', async () => {
    const plan = new PlanTransport({
      reads: createRestTransport({ token: async () => 't', clock, baseUrl: fake.baseUrl }),
    });
    const planned = make(plan);
    const rev = await planned.createRevision({
      service: 'production',
      release: { commit: 'abc123', digest: 'd' },
      env: {},
    });
    await planned.waitReady('production', rev.name, 60_000);
    await planned
      .setTraffic('production', [
        { revision: 'api-00001-cyw', percent: 90 },
        { revision: rev.name, percent: 10 },
      ])
      .catch(() => undefined);
    expect(patches()).toEqual([]);
    expect(renderPlan(plan.calls)).toContain(
      'PATCH https://run.googleapis.com/v2/projects/p1/locations/europe-west1/services/api?updateMask=template,traffic',
    );
  });
});

describe('CloudRunPlatform after maintenance', () => {
  it('a deploy after maintenance does not inherit the maintenance revision env', async () => {
    const clock = new ManualClock('2026-03-04T10:00:00Z');
    const fake = await FakeGcp.start({ now: () => clock.now() });
    try {
      fake.run.seedService(SVC, {
        containers: [{ image: 'img:old', env: [{ name: 'NODE_ENV', value: 'production' }] }],
      });
      const platform = new CloudRunPlatform({
        transport: createRestTransport({ token: async () => 't', clock, baseUrl: fake.baseUrl }),
        clock,
        environments: { production: { project: 'p1', region: 'europe-west1', service: 'api' } },
        image: (r) => `img:${r.commit}`,
        maintenanceImage: 'img:maintenance',
        pollIntervalMs: 1_000,
      });
      await platform.setMaintenance('production', { message: 'Back soon' });
      await platform.setMaintenance('production', null);
      const rev = await platform.createRevision({
        service: 'production',
        release: { commit: 'c2', digest: 'd' },
        env: {},
      });
      const env = fake.run.revisions.get(`${SVC}/revisions/${rev.name}`)!.resource.containers[0]!.env;
      expect(env).toEqual([{ name: 'NODE_ENV', value: 'production' }]);
    } finally {
      await fake.close();
    }
  });
});
