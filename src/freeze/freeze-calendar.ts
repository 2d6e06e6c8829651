import { DateTime } from 'luxon';
import type { FreezeWindowConfig, Weekday } from '../config/index.js';

export interface ManualFreeze {
  id: number;
  /** null: every environment. */
  environment: string | null;
  reason: string;
  actor: string;
  createdAt: string;
  until: string | null;
}

export interface FreezeFinding {
  source: 'weekday' | 'window' | 'manual';
  reason: string;
  /** When this freeze ends, if known (ISO). */
  endsAt?: string;
}

export interface LocalTime {
  weekday: Weekday;
  /** e.g. "Fri 2026-12-04 15:00 CST" */
  label: string;
}

const WEEKDAY_BY_NUMBER: readonly Weekday[] = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
];

/** The instant as a wall clock in the zone; luxon applies the zone's DST rules for that date. */
export function localTime(at: Date, timezone: string): LocalTime {
  const local = DateTime.fromJSDate(at, { zone: timezone });
  return {
    weekday: WEEKDAY_BY_NUMBER[local.weekday - 1]!,
    label: local.toFormat('ccc yyyy-LL-dd HH:mm ZZZZ'),
  };
}

/** Pure: is this a no-deploy weekday in the zone? */
export function planWeekdayFreeze(
  at: Date,
  timezone: string,
  weekdays: readonly Weekday[],
): FreezeFinding | undefined {
  const local = localTime(at, timezone);
  if (!weekdays.includes(local.weekday)) return undefined;
  const nextDay = DateTime.fromJSDate(at, { zone: timezone }).startOf('day').plus({ days: 1 });
  return {
    source: 'weekday',
    reason: `${capitalize(local.weekday)} is a no-deploy day (${local.label})`,
    endsAt: nextDay.toUTC().toISO() ?? undefined,
  };
}

/** A window bound: with an offset it is absolute; without one it is wall-clock time in the configured zone. */
export function parseWindowBound(text: string, timezone: string): DateTime {
  return DateTime.fromISO(text, { zone: timezone, setZone: false });
}

/** Pure: every freeze (window or manual) covering this environment at this instant. */
export function planFreezes(options: {
  at: Date;
  environment: string;
  timezone: string;
  windows: readonly FreezeWindowConfig[];
  manual: readonly ManualFreeze[];
}): FreezeFinding[] {
  const findings: FreezeFinding[] = [];
  const instant = options.at.getTime();
  for (const window of options.windows) {
    if (window.environments && !window.environments.includes(options.environment)) continue;
    const from = parseWindowBound(window.from, options.timezone);
    const to = parseWindowBound(window.to, options.timezone);
    if (instant >= from.toMillis() && instant < to.toMillis()) {
      findings.push({
        source: 'window',
        reason: `${window.reason} (freeze window ${from.toFormat('yyyy-LL-dd HH:mm ZZZZ')} → ${to.toFormat('yyyy-LL-dd HH:mm ZZZZ')})`,
        endsAt: to.toUTC().toISO() ?? undefined,
      });
    }
  }
  for (const freeze of options.manual) {
    if (freeze.environment !== null && freeze.environment !== options.environment) continue;
    if (new Date(freeze.createdAt).getTime() > instant) continue;
    if (freeze.until !== null && new Date(freeze.until).getTime() <= instant) continue;
    findings.push({
      source: 'manual',
      reason: `${freeze.reason} (frozen by ${freeze.actor} at ${freeze.createdAt}${freeze.until ? `, until ${freeze.until}` : ''})`,
      ...(freeze.until ? { endsAt: freeze.until } : {}),
    });
  }
  return findings;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
