import { describe, expect, it } from 'vitest';
import { planReleaseTagName, releaseTagCandidates } from './release-tag.js';

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
  it("crosses the date line: the seed's v$(date +%Y%m%d-%H%M) in Tokyo on new year's eve", () => {
    expect(planReleaseTagName('v{YYYYMMDD}-{HHmm}', new Date('2026-12-31T23:30:00Z'), 'Asia/Tokyo')).toBe(
      'v20270101-0830',
    );
  });
  it('offers suffixed names for a second release in the same minute', () => {
    expect(releaseTagCandidates('v20260305-2207')).toEqual([
      'v20260305-2207',
      'v20260305-2207-2',
      'v20260305-2207-3',
      'v20260305-2207-4',
      'v20260305-2207-5',
    ]);
  });
});
