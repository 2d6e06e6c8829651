import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { judgeSample } from '../../../src/deploy/analyze-sample.js';
import {
  applyMonitoring,
  getMonitoringPlan,
  readRunAnalysisSample,
  renderMonitoringDiff,
  worstCaseDetectionMs,
} from '../../../src/gcp/monitoring/index.js';
import { createRestTransport } from '../../../src/gcp/transport/index.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { FakeGcp } from '../../fakes/gcp/index.js';

const TARGET = { project: 'p1', service: 'api', host: 'api-abc-ew.a.run.app', healthPath: '/health' };

describe('Cloud Monitoring', () => {
  let clock: ManualClock;
  let fake: FakeGcp;
  beforeEach(async () => {
    clock = new ManualClock('2026-03-04T10:00:00Z');
    fake = await FakeGcp.start({ now: () => clock.now() });
  });
  afterEach(() => fake.close());
  const transport = () => createRestTransport({ token: async () => 't', clock, baseUrl: fake.baseUrl });

  it('monitoring apply shows a diff, creates the uptime check and three policies, and is idempotent', async () => {
    const t = transport();
    const first = await getMonitoringPlan(t, TARGET);
    expect(renderMonitoringDiff(first)).toMatchInlineSnapshot(`
      "+ create uptime check "prodguard api health"
      + create alert policy "prodguard api error rate > 5%"
      + create alert policy "prodguard api p95 latency > 2s"
      + create alert policy "prodguard api 503 errors""
    `);
    await applyMonitoring(t, TARGET, first);
    const uptime = [...fake.monitoring.uptimeChecks.values()][0]!;
    expect(uptime).toMatchObject({ period: '60s', selectedRegions: ['USA', 'EUROPE', 'ASIA_PACIFIC'] });
    const ratio = [...fake.monitoring.alertPolicies.values()].find((p) =>
      String(p.displayName).includes('error rate'),
    )!;
    const threshold = (ratio.conditions as { conditionThreshold: Record<string, unknown> }[])[0]!
      .conditionThreshold;
    expect(threshold.filter).toContain('metric.labels.response_code_class="5xx"');
    expect(threshold.denominatorFilter).toBe(
      'metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision" AND resource.labels.service_name="api"',
    );
    expect(threshold.thresholdValue).toBe(0.05);

    const writes = fake.http.log.filter((l) => l.method !== 'GET').length;
    const second = await getMonitoringPlan(t, TARGET);
    expect(second.every((c) => c.action === 'unchanged')).toBe(true);
    await applyMonitoring(t, TARGET, second);
    expect(fake.http.log.filter((l) => l.method !== 'GET').length).toBe(writes);

    const changed = await getMonitoringPlan(t, { ...TARGET, healthPath: '/healthz' });
    expect(renderMonitoringDiff(changed).split('\n')[0]).toBe(
      '~ update uptime check "prodguard api health": httpCheck',
    );
    await applyMonitoring(t, TARGET, changed);
    expect(fake.http.log.at(-1)).toMatchObject({ method: 'PATCH', query: '?updateMask=httpCheck' });
  });

  it('an analysis sample with no series is "no traffic" (insufficient), not healthy; data lag is accounted for', async () => {
    const t = transport();
    const thresholds = {
      errorRate: 0.05,
      latencyP95Ms: 2_000,
      minRequests: 20,
      maxRestarts: 0,
      windowMs: 60_000,
      confidence: 0.95,
      decisiveConfidence: 0.999,
    };
    const empty = await readRunAnalysisSample(t, clock, {
      project: 'p1',
      service: 'api',
      revision: 'api-00002-abc',
      windowMs: 60_000,
      ready: true,
    });
    expect(judgeSample(empty, thresholds)).toEqual({ kind: 'insufficient', requests: 0, minRequests: 20 });
    expect(empty.dataUntil).toBe('2026-03-04T09:57:00.000Z');
    fake.monitoring.addRunTraffic({
      project: 'p1',
      service: 'api',
      revision: 'api-00002-abc',
      atMs: clock.nowMs() - 200_000,
      byClass: { '2xx': 80, '5xx': 20 },
      latenciesMs: [100, 200, 3000],
    });
    const bad = await readRunAnalysisSample(t, clock, {
      project: 'p1',
      service: 'api',
      revision: 'api-00002-abc',
      windowMs: 60_000,
      ready: true,
    });
    expect(bad).toMatchObject({ requests: 100, errorRate: 0.2, p95Ms: 3000 });
    expect(judgeSample(bad, thresholds)).toMatchObject({ kind: 'breach' });
    // 60 s sampling + 180 s ingestion lag + a 60 s window.
    expect(worstCaseDetectionMs(60_000)).toBe(300_000);
  });
});
