import { DateTime } from 'luxon';

const TOKENS: Record<string, string> = {
  YYYYMMDD: 'yyyyLLdd',
  HHmm: 'HHmm',
  YYYY: 'yyyy',
  MM: 'LL',
  DD: 'dd',
  HH: 'HH',
  mm: 'mm',
  ss: 'ss',
};

/** `v{YYYYMMDD}-{HHmm}` at a time, in the configured zone: the seed's `v$(date +%Y%m%d-%H%M)`. */
export function formatReleaseTag(pattern: string, at: Date, timezone: string): string {
  const local = DateTime.fromJSDate(at, { zone: timezone });
  return pattern.replace(/\{([A-Za-z]+)\}/g, (whole, token: string) => {
    const format = TOKENS[token];
    return format ? local.toFormat(format) : whole;
  });
}

/** A glob matching every tag the pattern can produce (for finding the previous release tag). */
export function releaseTagGlob(pattern: string): string {
  return pattern.replace(/\{[A-Za-z]+\}/g, '*');
}
