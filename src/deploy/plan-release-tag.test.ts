import { describe, expect, it } from 'vitest';
import { planReleaseTagName } from './plan-release-tag.js';

describe('planReleaseTagName', () => {
  const at = new Date('2026-03-05T22:07:09Z');
  it('formats the seed’s v{YYYYMMDD}-{HHmm} in the configured time zone', () => {
    expect(planReleaseTagName('v{YYYYMMDD}-{HHmm}', at, 'UTC')).toBe('v20260305-2207');
    expect(planReleaseTagName('v{YYYYMMDD}-{HHmm}', at, 'Europe/Berlin')).toBe('v20260305-2307');
    expect(planReleaseTagName('v{YYYYMMDD}-{HHmm}', at, 'America/Chicago')).toBe('v20260305-1607');
  });
  it('knows env, sha and seconds, and refuses unknown placeholders', () => {
    expect(
      planReleaseTagName('{env}-{YYYY}.{MM}.{DD}-{ss}-{sha}', at, 'UTC', {
        environment: 'production',
        commit: 'abcdef1234567890',
      }),
    ).toBe('production-2026.03.05-09-abcdef123456');
    expect(() => planReleaseTagName('v{WEEK}', at, 'UTC')).toThrow(/unknown placeholder \{WEEK\}/);
  });
});
