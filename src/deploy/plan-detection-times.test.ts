import { describe, expect, it } from 'vitest';
import { planDetectionTimes } from './plan-detection-times.js';

describe('planDetectionTimes', () => {
  it('is one interval on decisive evidence, K intervals at the threshold, plus one switch to roll back', () => {
    expect(
      planDetectionTimes({ intervalMs: 1000, consecutiveBreaches: 3, holdTimeoutMs: 30_000 }, 2000),
    ).toEqual({
      decisiveTimeToDetectMs: 1000,
      decisiveTimeToRollbackMs: 3000,
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

describe('planDetectionTimes with the default settings', () => {
  it('rolls back within 5 s of the first bad response, decisive or not', async () => {
    const { deployConfigSchema } = await import('../config/sections/deploy.js');
    const d = deployConfigSchema.parse({});
    const t = planDetectionTimes(
      {
        intervalMs: d.analysis.interval,
        consecutiveBreaches: d.analysis.consecutiveBreaches,
        holdTimeoutMs: d.analysis.holdTimeout,
      },
      d.switchTimeout,
    );
    expect(t.decisiveTimeToRollbackMs).toBeLessThanOrEqual(5000);
    expect(t.timeToRollbackMs).toBeLessThanOrEqual(5000);
  });
});
