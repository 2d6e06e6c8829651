import { z } from 'zod';
import { DURATION_PATTERN, MAX_DURATION_MS, parseDuration } from '../kernel/duration.js';

/**
 * The values a duration key accepts, written as durations (`100ms`, `24h`). Every duration key states one:
 * `0ms` for a sampling interval busy-loops, and a Node timer past 2^31-1 ms (24.8 days) fires at once,
 * so keys used as timers stay at or under a day.
 */
export interface DurationRange {
  min: string;
  max: string;
}

/** `10m`, `90d`, `500ms` → milliseconds, within `range` (an out-of-range value names the range and what was written). */
export function duration(description: string, range: DurationRange) {
  const min = parseDuration(range.min);
  const max = parseDuration(range.max);
  if (min === undefined || max === undefined || min > max || max > MAX_DURATION_MS)
    throw new Error(`Bad duration range ${range.min}..${range.max} for "${description}"`);
  const allowed = `from ${range.min} to ${range.max}`;
  return z
    .string()
    .regex(DURATION_PATTERN, { message: 'Expected a duration such as 500ms, 30s, 10m, 2h or 90d' })
    .transform((text, ctx) => {
      const ms = parseDuration(text)!;
      if (ms < min || ms > max) {
        ctx.issues.push({
          code: 'custom',
          input: text,
          message: `Expected a duration ${allowed}, got ${text}`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .describe(`${description} Allowed: ${allowed}.`);
}

/** A duration with a default, written as the user would write it (`10m`). */
export function durationOr(description: string, fallback: string, range: DurationRange) {
  return duration(description, range)
    .prefault(fallback)
    .meta({ default: fallback, examples: [fallback] });
}

/** `5%` or `5` → 0.05. */
export function percentage(description: string, fallback: string) {
  return z
    .union([
      z.number().min(0).max(100),
      z.string().regex(/^\d+(\.\d+)?%$/, { message: 'Expected a percentage such as 5%' }),
    ])
    .transform((value) => (typeof value === 'number' ? value : Number(value.slice(0, -1))) / 100)
    .refine((fraction) => fraction >= 0 && fraction <= 1, {
      message: 'Expected a percentage between 0% and 100%',
    })
    .describe(description)
    .prefault(fallback)
    .meta({ default: fallback, examples: [fallback] });
}

export const environmentName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, {
  message: 'Expected a lowercase name such as staging (letters, digits, dashes)',
});

export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** IANA zone names, checked against the runtime's tz database so a typo fails at load, not at deploy. */
export const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'Expected an IANA time zone such as UTC, Europe/Berlin or America/Chicago' },
);
