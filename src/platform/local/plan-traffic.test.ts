import { describe, expect, it } from 'vitest';
import type { RevisionState } from '../platform.js';
import { planTraffic } from './plan-traffic.js';

const states = new Map<string, RevisionState>([
  ['a', 'ready'],
  ['b', 'ready'],
  ['c', 'starting'],
]);

describe('planTraffic', () => {
  it('accepts a split over ready revisions and drops untagged zeros', () => {
    expect(
      planTraffic(
        'staging',
        [
          { revision: 'a', percent: 90 },
          { revision: 'b', percent: 10 },
          { revision: 'c', percent: 0 },
        ],
        states,
      ),
    ).toEqual({
      targets: [
        { revision: 'a', percent: 90 },
        { revision: 'b', percent: 10 },
      ],
    });
  });

  it('refuses a revision that is not ready', () => {
    const result = planTraffic('staging', [{ revision: 'c', percent: 100 }], states);
    expect('error' in result && result.error.code).toBe('PRODGUARD_PLATFORM_NOT_READY');
    expect('error' in result && result.error.message).toBe('Traffic for staging refused: c is starting.');
  });

  it('lists every problem of a bad split', () => {
    const result = planTraffic(
      'staging',
      [
        { revision: 'a', percent: 50.5 },
        { revision: 'x', percent: 20 },
      ],
      states,
    );
    expect('error' in result && result.error.message).toBe(
      'Traffic for staging refused: a: percent must be an integer 0–100, got 50.5; x is not a revision of staging; percents sum to 70.5, not 100.',
    );
  });
});
