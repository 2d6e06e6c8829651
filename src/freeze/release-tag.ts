import { UsageError } from '../kernel/errors.js';

/**
 * The rollback tag's name (config `releaseTag`) for a moment, in the configured time zone.
 * Placeholders: {YYYYMMDD} {HHmm} {YYYY} {MM} {DD} {HH} {mm} {ss} {env} {sha} (12 chars).
 *
 * @example planReleaseTagName('v{YYYYMMDD}-{HHmm}', new Date('2026-03-05T22:07:00Z'), 'Europe/Berlin')
 * // → 'v20260305-2307'
 */
export function planReleaseTagName(
  pattern: string,
  at: Date,
  timeZone: string,
  facts: { environment?: string; commit?: string } = {},
): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const values: Record<string, string | undefined> = {
    YYYYMMDD: `${parts.year}${parts.month}${parts.day}`,
    HHmm: `${parts.hour}${parts.minute}`,
    YYYY: parts.year,
    MM: parts.month,
    DD: parts.day,
    HH: parts.hour,
    mm: parts.minute,
    ss: parts.second,
    env: facts.environment,
    sha: facts.commit?.slice(0, 12),
  };
  const name = pattern.replace(/\{([A-Za-z]+)\}/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) {
      throw new UsageError(
        'PRODGUARD_DEPLOY_TAG_PATTERN',
        `releaseTag "${pattern}" uses unknown placeholder ${whole}.`,
        {
          hint: 'Use {YYYYMMDD} {HHmm} {YYYY} {MM} {DD} {HH} {mm} {ss} {env} {sha}.',
        },
      );
    }
    return value;
  });
  return name;
}

/** A glob matching every tag the pattern can produce (for finding the previous release tag). */
export function releaseTagGlob(pattern: string): string {
  return pattern.replace(/\{[A-Za-z]+\}/g, '*');
}

/** How many same-minute releases get a tag: the name, then name-2 … name-5 (as `prodguard deploy` creates them). */
export const RELEASE_TAG_ATTEMPTS = 5;

/** The names a release may take, in order: two releases in one minute must not collide. */
export function releaseTagCandidates(name: string): string[] {
  return Array.from({ length: RELEASE_TAG_ATTEMPTS }, (_, i) => (i === 0 ? name : `${name}-${i + 1}`));
}
