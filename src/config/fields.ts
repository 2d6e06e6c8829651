import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../kernel/duration.js';

/** `10m`, `90d`, `500ms` → milliseconds. */
export function duration(description: string) {
  return z
    .string()
    .regex(DURATION_PATTERN, { message: 'Expected a duration such as 500ms, 30s, 10m, 2h or 90d' })
    .transform((text) => parseDuration(text)!)
    .describe(description);
}

/** A duration with a default, written as the user would write it (`10m`). */
export function durationOr(description: string, fallback: string) {
  return duration(description)
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
