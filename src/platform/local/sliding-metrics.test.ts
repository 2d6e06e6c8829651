import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { SlidingMetrics, statusClassOf } from './sliding-metrics.js';

describe('SlidingMetrics', () => {
  it('counts by status class and computes percentiles within 12.5 %', () => {
    const clock = new ManualClock();
    const metrics = new SlidingMetrics({ nowMs: () => clock.nowMs() });
    for (let i = 1; i <= 100; i++) metrics.record(i % 10 === 0 ? '5xx' : '2xx', i * 10);
    metrics.record('error', 5);
    const summary = metrics.summarize(60_000);
    expect(summary.requests).toBe(101);
    expect(summary.byStatus).toEqual({ '2xx': 90, '3xx': 0, '4xx': 0, '5xx': 10, error: 1 });
    expect(summary.errorRate).toBeCloseTo(11 / 101);
    expect(summary.p50Ms).toBeGreaterThanOrEqual(500);
    expect(summary.p50Ms).toBeLessThanOrEqual(500 * 1.25);
    expect(summary.p95Ms).toBeGreaterThanOrEqual(950);
    expect(summary.p95Ms).toBeLessThanOrEqual(950 * 1.25);
  });

  it('forgets requests older than the window', () => {
    const clock = new ManualClock();
    const metrics = new SlidingMetrics({ nowMs: () => clock.nowMs(), maxWindowMs: 60_000 });
    metrics.record('5xx', 1);
    clock.advance(10_000);
    metrics.record('2xx', 1);
    expect(metrics.summarize(5_000).requests).toBe(1);
    expect(metrics.summarize(30_000).requests).toBe(2);
    clock.advance(120_000);
    expect(metrics.summarize(60_000)).toMatchObject({ requests: 0, errorRate: 0, p95Ms: 0 });
  });

  it('classifies statuses', () => {
    expect([200, 204, 301, 404, 503].map(statusClassOf)).toEqual(['2xx', '2xx', '3xx', '4xx', '5xx']);
  });
});
