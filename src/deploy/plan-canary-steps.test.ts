import { describe, expect, it } from 'vitest';
import { parseSteps, planCanarySteps, planStepTraffic } from './plan-canary-steps.js';

describe('planCanarySteps', () => {
  it('is one step to 100 for all-at-once, whatever the steps say', () => {
    expect(planCanarySteps('all-at-once', [10, 50])).toEqual([100]);
  });
  it('ends a canary at 100', () => {
    expect(planCanarySteps('canary', [10, 50])).toEqual([10, 50, 100]);
    expect(planCanarySteps('canary', [25, 100])).toEqual([25, 100]);
  });
  it('refuses steps that do not rise or are not whole percents', () => {
    expect(() => planCanarySteps('canary', [50, 10, 100])).toThrowErrorMatchingInlineSnapshot(
      `[ProdguardError: Canary steps must rise: 50,10,100 has 10 after 50.]`,
    );
    expect(() => planCanarySteps('canary', [0, 100])).toThrow(/whole percent/);
    expect(() => planCanarySteps('canary', [12.5, 100])).toThrow(/whole percent/);
  });
  it('parses --steps', () => {
    expect(parseSteps('10, 50,100')).toEqual([10, 50, 100]);
    expect(() => parseSteps('10,,100')).toThrow(/not a list/);
  });
  it('splits traffic between the stable and the new revision', () => {
    expect(planStepTraffic('new', 'old', 10)).toEqual([
      { revision: 'old', percent: 90 },
      { revision: 'new', percent: 10 },
    ]);
    expect(planStepTraffic('new', 'old', 100)).toEqual([{ revision: 'new', percent: 100 }]);
    expect(planStepTraffic('new', undefined, 10)).toEqual([{ revision: 'new', percent: 100 }]);
  });
});
