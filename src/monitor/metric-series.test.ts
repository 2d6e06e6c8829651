import { describe, expect, it } from 'vitest';
import { assembleEnvironmentSample, ROUTER_LATENCY_LE } from './environment-sample.js';
import { histogramQuantile, MetricSeries } from './metric-series.js';
import { parsePrometheusText } from './prometheus-text.js';

const routerText = (rev: string, ok: number, failed: number, unavailable = 0) => `
# HELP prodguard_router_requests_total Requests
# TYPE prodguard_router_requests_total counter
prodguard_router_requests_total{service="production",revision="${rev}",status_class="2xx"} ${ok}
prodguard_router_requests_total{service="production",revision="${rev}",status_class="5xx"} ${failed}
prodguard_router_requests_total{service="staging",revision="s-1",status_class="5xx"} 999
prodguard_router_unavailable_total{service="production",revision="${rev}"} ${unavailable}
`;

const sample = (at: number, text: string) =>
  assembleEnvironmentSample({ at, environment: 'production', router: parsePrometheusText(text), apps: [] });

describe('parsePrometheusText', () => {
  it('reads names, escaped labels and special values, and skips junk', () => {
    expect(
      parsePrometheusText(
        'a_total{x="q\\"uote",le="+Inf"} 3\n# c\nbad line here\nb NaN\nc +Inf 1700000000\n',
      ),
    ).toEqual([
      { name: 'a_total', labels: { x: 'q"uote', le: '+Inf' }, value: 3 },
      { name: 'b', labels: {}, value: Number.NaN },
      { name: 'c', labels: {}, value: Number.POSITIVE_INFINITY },
    ]);
  });
});

describe('MetricSeries', () => {
  it('sums increases per window, only for its environment', () => {
    const series = new MetricSeries({ retentionMs: 3_600_000 });
    series.add(sample(0, routerText('p-1', 100, 0)));
    series.add(sample(60_000, routerText('p-1', 190, 10, 4)));
    series.add(sample(120_000, routerText('p-1', 280, 20, 5)));
    expect(series.window(120_000, 60_000)).toMatchObject({ requests: 100, errors: 10, unavailable: 1 });
    expect(series.window(120_000, 300_000)).toMatchObject({
      requests: 200,
      errors: 20,
      unavailable: 5,
      coveredMs: 120_000,
    });
  });

  it('treats a counter that went down as reset, and a new revision as new requests', () => {
    const series = new MetricSeries({ retentionMs: 3_600_000 });
    series.add(sample(0, routerText('p-1', 100, 0)));
    series.add(sample(60_000, routerText('p-1', 30, 0))); // restarted agent: 30 new requests
    series.add(sample(120_000, routerText('p-2', 50, 5))); // p-1 retired, p-2 appeared
    expect(series.window(120_000, 120_000)).toMatchObject({ requests: 85, errors: 5 });
  });

  it('compacts old steps without changing the sums', () => {
    const series = new MetricSeries({
      retentionMs: 86_400_000,
      compactAfterMs: 60_000,
      compactStepMs: 60_000,
    });
    for (let s = 0; s <= 3600; s++) series.add(sample(s * 1000, routerText('p-1', s * 10, s)));
    expect(series.window(3_600_000, 3_600_000)).toMatchObject({ requests: 39_600, errors: 3600 });
    expect(series.window(3_600_000, 30_000)).toMatchObject({ requests: 330, errors: 30 });
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket like PromQL and has no value without data', () => {
    const cumulative = ROUTER_LATENCY_LE.map((le) => (le <= 1 ? 90 : 100)); // 90 ≤ 1 s, 10 in (1, 2]
    expect(histogramQuantile(0.95, cumulative)).toBeCloseTo(1.5);
    expect(
      histogramQuantile(
        0.5,
        ROUTER_LATENCY_LE.map(() => 0),
      ),
    ).toBeUndefined();
    const slow = ROUTER_LATENCY_LE.map((le) => (Number.isFinite(le) ? 0 : 4));
    expect(histogramQuantile(0.95, slow)).toBe(10);
  });
});
