import { UsageError } from '../kernel/errors.js';

export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  operator: MatchOperator;
  value: string;
}

/** A time-boxed mute over alerts whose labels match every matcher (Alertmanager's silence). */
export interface Silence {
  id: string;
  matchers: LabelMatcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  reason: string;
  /** Set when expired by hand before endsAt. */
  expiredAt: number | null;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?([^"]*)"?\s*$/;

/** `env=production`, `alertname=~slo-.*`, `severity!=ticket`. */
export function parseMatcher(text: string): LabelMatcher {
  const m = MATCHER.exec(text);
  if (!m) {
    throw new UsageError('PRODGUARD_MONITOR_MATCHER_INVALID', `"${text}" is not a label matcher.`, {
      hint: 'Write name=value, name!=value, name=~regex or name!~regex, e.g. env=production or alertname=~slo-.*',
    });
  }
  const matcher: LabelMatcher = { name: m[1]!, operator: m[2] as MatchOperator, value: m[3]! };
  if (matcher.operator === '=~' || matcher.operator === '!~') {
    try {
      new RegExp(`^(?:${matcher.value})$`);
    } catch (cause) {
      throw new UsageError(
        'PRODGUARD_MONITOR_MATCHER_INVALID',
        `"${matcher.value}" is not a valid regular expression.`,
        {
          cause,
          hint: 'Regex matchers are anchored at both ends, as in Alertmanager.',
        },
      );
    }
  }
  return matcher;
}

export function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.operator}${m.value}`;
}

export function matchesLabels(matchers: readonly LabelMatcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => {
    const value = labels[m.name] ?? '';
    switch (m.operator) {
      case '=':
        return value === m.value;
      case '!=':
        return value !== m.value;
      case '=~':
        return new RegExp(`^(?:${m.value})$`).test(value);
      case '!~':
        return !new RegExp(`^(?:${m.value})$`).test(value);
      default:
        return false;
    }
  });
}

export function isSilenceActive(silence: Silence, nowMs: number): boolean {
  return silence.expiredAt === null && silence.startsAt <= nowMs && nowMs < silence.endsAt;
}

/** The active silences muting an alert with these labels. */
export function silencesFor(
  silences: readonly Silence[],
  labels: Record<string, string>,
  nowMs: number,
): Silence[] {
  return silences.filter((s) => isSilenceActive(s, nowMs) && matchesLabels(s.matchers, labels));
}
