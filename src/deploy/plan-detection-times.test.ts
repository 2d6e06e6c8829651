import { describe, expect, it } from 'vitest';
import { planDetectionTimes } from './plan-detection-times.js';

describe('planDetectionTimes', () => {
  it('is K intervals to detect plus one switch to roll back', () => {
    expect(
      planDetectionTimes({ intervalMs: 1000, consecutiveBreaches: 3, holdTimeoutMs: 30_000 }, 2000),
    ).toEqual({
      timeToDetectMs: 3000,
      timeToRollbackMs: 5000,
      lowTrafficTimeToDetectMs: 31_000,
      lowTrafficTimeToRollbackMs: 33_000,
    });
  });
  it('rounds the hold up to whole sampling intervals', () => {
    const t = planDetectionTimes({ intervalMs: 5000, consecutiveBreaches: 3, holdTimeoutMs: 12_000 }, 2000);
    expect(t.timeToDetectMs).toBe(15_000);
    expect(t.lowTrafficTimeToDetectMs).toBe(5000 + 15_000);
  });
});
